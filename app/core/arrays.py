"""The array types of the vectorised core, defined once."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
#: Integer arrays: indices and counts (np.intp is int64 on every supported platform).
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]
