"""Array plumbing shared by the metrology modules: float arrays in, a float or an array out."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def as_float_array(values: npt.ArrayLike, name: str) -> np.ndarray:
    """``values`` as a float array, with a ``ValueError`` naming the argument if it is not numeric."""
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from None


def scalar_or_array(result: np.ndarray) -> np.ndarray | float:
    """A 0-d result as a Python ``float``, anything else unchanged (scalars in, scalar out)."""
    return float(result) if result.ndim == 0 else result


def require_positive(values: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` unless every non-NaN element is > 0 (NaN marks a faulty position)."""
    if np.any(values <= 0):
        raise ValueError(f"{name} must be > 0, got {values.tolist()}")
