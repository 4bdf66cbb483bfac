"""Tools for testing gradients: hypothesis strategies and property-test helpers (see docs/testing.md)."""
