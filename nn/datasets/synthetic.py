"""Small 2-D classification problems made on the spot: two moons, two circles, a three-arm spiral.

`make_moons` and `make_circles` follow scikit-learn's algorithms step for step (same points, same order of
random draws), so with the same seed they return the same arrays as `sklearn.datasets.make_moons` /
`make_circles` (a test checks this where scikit-learn is installed; we do not depend on it).
Parity needs scikit-learn's random source: an int seed makes a legacy `np.random.RandomState(seed)`, as
`sklearn.utils.check_random_state` does. A `RandomState` or `np.random.Generator` may be passed directly;
None uses the global generator of `autograd.manual_seed`.

All return `(X, y)`: float64 points (n_samples, 2) and int64 labels (n_samples,), as NumPy arrays
(`DataLoader` turns them into float32 / int64 Tensors).
"""

from __future__ import annotations

import numpy as np

from autograd import default_generator

RandomSource = int | np.random.RandomState | np.random.Generator | None


def _random_source(seed: RandomSource) -> np.random.RandomState | np.random.Generator:
    if seed is None:
        return default_generator()
    if isinstance(seed, np.random.RandomState | np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int, a RandomState, a Generator or None, got {type(seed).__name__}")
    return np.random.RandomState(seed)


def _split(n_samples: int | tuple[int, int], op: str) -> tuple[int, int]:
    """Points in the outer and inner shape: an int is halved (the inner one gets the odd point)."""
    if isinstance(n_samples, tuple | list):
        if len(n_samples) != 2 or any(int(n) < 0 for n in n_samples):
            raise ValueError(f"{op}: n_samples as a tuple must be two non-negative counts, got {n_samples!r}")
        return int(n_samples[0]), int(n_samples[1])
    if isinstance(n_samples, bool) or not isinstance(n_samples, int | np.integer) or n_samples < 1:
        raise ValueError(f"{op}: n_samples must be a positive int or a pair of counts, got {n_samples!r}")
    n_out = int(n_samples) // 2
    return n_out, int(n_samples) - n_out


def _check_noise(noise: float | None, op: str) -> None:
    if noise is not None and not noise >= 0:
        raise ValueError(f"{op}: noise must be None or a non-negative standard deviation, got {noise!r}")


def _finish(x: np.ndarray, y: np.ndarray, shuffle: bool, noise: float | None,
            rng: np.random.RandomState | np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle, then add Gaussian noise: scikit-learn's order of draws (a permutation, then the normals)."""
    if shuffle:
        order = np.arange(len(y))
        rng.shuffle(order)
        x, y = x[order], y[order]
    if noise is not None:
        x = x + rng.normal(scale=noise, size=x.shape)
    return x, y


def make_moons(n_samples: int | tuple[int, int] = 100, noise: float | None = None, seed: RandomSource = None,
               shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: class 0 is the upper moon, class 1 the lower one shifted right.

    Args:
        n_samples: total points (split evenly, the lower moon gets the odd one) or (upper, lower) counts.
        noise: standard deviation of Gaussian noise added to every coordinate (None: exact points).
        seed: int (scikit-learn-compatible RandomState), RandomState, Generator, or None (global generator).
        shuffle: shuffle the points (otherwise class 0 comes first).
    """
    _check_noise(noise, "make_moons")
    n_out, n_in = _split(n_samples, "make_moons")
    rng = _random_source(seed)
    outer = np.linspace(0, np.pi, n_out)
    inner = np.linspace(0, np.pi, n_in)
    x = np.vstack([np.append(np.cos(outer), 1 - np.cos(inner)),
                   np.append(np.sin(outer), 1 - np.sin(inner) - 0.5)]).T
    y = np.hstack([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    return _finish(x, y, shuffle, noise, rng)


def make_circles(n_samples: int | tuple[int, int] = 100, noise: float | None = None, seed: RandomSource = None,
                 factor: float = 0.8, shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A circle of radius 1 (class 0) around a smaller one of radius `factor` (class 1).

    Arguments as for `make_moons`; `factor` in [0, 1) is the inner radius.
    """
    _check_noise(noise, "make_circles")
    if not 0 <= factor < 1:
        raise ValueError(f"make_circles: factor must be in [0, 1), got {factor!r}")
    n_out, n_in = _split(n_samples, "make_circles")
    rng = _random_source(seed)
    # endpoint=False, so the first point is not repeated as the last one
    outer = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    inner = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    x = np.vstack([np.append(np.cos(outer), np.cos(inner) * factor),
                   np.append(np.sin(outer), np.sin(inner) * factor)]).T
    y = np.hstack([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    return _finish(x, y, shuffle, noise, rng)


def make_spiral(n_samples: int = 300, noise: float = 0.2, seed: RandomSource = None, n_classes: int = 3,
                shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (three by default): not separable by a straight line.

    Arm k has its radius grow from 0 to 1 while its angle turns from 4k to 4(k+1) radians, plus Gaussian
    noise of standard deviation `noise` on the angle (the CS231n spiral). Classes get `n_samples //
    n_classes` points each, the first ones one more when it does not divide evenly.
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, int | np.integer) or n_classes < 1:
        raise ValueError(f"make_spiral: n_classes must be a positive int, got {n_classes!r}")
    if isinstance(n_samples, bool) or not isinstance(n_samples, int | np.integer) or n_samples < n_classes:
        raise ValueError(f"make_spiral: n_samples must be an int >= n_classes ({n_classes}), got {n_samples!r}")
    _check_noise(noise, "make_spiral")
    rng = _random_source(seed)
    counts = [n_samples // n_classes + (k < n_samples % n_classes) for k in range(n_classes)]
    points, labels = [], []
    for k, count in enumerate(counts):
        radius = np.linspace(0.0, 1.0, count)
        angle = np.linspace(4.0 * k, 4.0 * (k + 1), count) + rng.normal(scale=noise or 0.0, size=count)
        points.append(np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]))
        labels.append(np.full(count, k, dtype=np.int64))
    return _finish(np.concatenate(points), np.concatenate(labels), shuffle, None, rng)
