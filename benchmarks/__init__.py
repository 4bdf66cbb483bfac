"""Side-by-side benchmarks: our engine against hand-written NumPy and PyTorch eager.

Run `python -m benchmarks` (everything) or name a subset: `python -m benchmarks mlp perop`.
See `docs/performance.md` for the results, the machine they were taken on, and what they mean.
Nothing here is imported by the library or run by the tests.
"""

BENCHMARKS = ("mlp", "perop", "depth", "moons", "mnist", "convnet")
