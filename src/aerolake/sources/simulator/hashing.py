"""Counter-based randomness: uniform numbers as a pure function of integer keys.

The simulator draws per-sample noise, report jitter and reception gaps from a hash of
``(leg key, sample number, channel)`` rather than from a stateful generator. The same sample
therefore gets the same noise whether it is produced in an hourly history chunk or by a live
poll, and however the time window is cut. SplitMix64 finaliser; vectorised over uint64 arrays
(overflow wraps, which is what the mixer wants).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]

_GOLDEN: Final = np.uint64(0x9E3779B97F4A7C15)
_M1: Final = np.uint64(0xBF58476D1CE4E5B9)
_M2: Final = np.uint64(0x94D049BB133111EB)
_S30: Final = np.uint64(30)
_S27: Final = np.uint64(27)
_S31: Final = np.uint64(31)
_S16: Final = np.uint64(16)
_MASK16: Final = np.uint64(0xFFFF)
_INV16: Final[float] = 1.0 / 65536.0


def mix(x: U64) -> U64:
    """SplitMix64 finaliser: a bijective, well-avalanched scramble of 64-bit keys."""
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


def key(*parts: npt.ArrayLike) -> U64:
    """Combine integer parts (broadcast) into one well-mixed 64-bit key."""
    with np.errstate(over="ignore"):
        out = np.zeros(np.broadcast(*[np.asarray(p) for p in parts]).shape, dtype=np.uint64)
        for part in parts:
            out = mix(out * _GOLDEN + np.asarray(part).astype(np.uint64))
    return out


def quarters(h: U64) -> tuple[F64, F64, F64, F64]:
    """Four uniforms in [0, 1) (16-bit resolution) from one 64-bit hash."""
    return (
        (h & _MASK16).astype(np.float64) * _INV16,
        ((h >> _S16) & _MASK16).astype(np.float64) * _INV16,
        ((h >> np.uint64(32)) & _MASK16).astype(np.float64) * _INV16,
        (h >> np.uint64(48)).astype(np.float64) * _INV16,
    )


def unit(h: U64) -> F64:
    """One uniform in [0, 1) with 53-bit resolution."""
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def channel(h: U64, n: int) -> U64:
    """An independent hash stream ``n`` derived from base hash ``h``."""
    with np.errstate(over="ignore"):
        return mix(h + np.uint64(n) * _GOLDEN)
