"""Mutation testing of the engine core: does the test suite notice a small change to the code?

`python -m tools.mutation` (docs/testing.md, "Mutation testing"). mutants.py makes the changes,
worker.py runs the tests against each one, equivalent.py lists the changes that cannot be noticed.
"""
