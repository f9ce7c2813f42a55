"""Legs: the flights of the simulated fleet as a struct of arrays."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from aerolake.sources.simulator.kinematics import PHASES, Profiles

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

#: Emergency codes by ``Legs.emergency`` value (0 = none).
EMERGENCY_SQUAWKS: tuple[str, ...] = ("7700", "7600")


@dataclass(frozen=True)
class Legs:
    """One row per leg (block-off to block-on) of some aircraft.

    ``block_off`` is unix seconds (UTC); ``key`` a 64-bit identity used to seed the leg's
    counter-based noise; ``origin``/``destination`` index the fleet's airports; ``callsign`` is
    padded to 8 characters like OpenSky's; ``emergency`` is 0 or 1 + an index into
    :data:`EMERGENCY_SQUAWKS`, squawked from ``emergency_from_s`` after block-off to the end.
    """

    aircraft: I64
    day: I64
    key: U64
    origin: I64
    destination: I64
    block_off: F64
    phase_offset_s: F64  # first report this long after block-off
    callsign: pa.Array
    squawk: pa.Array
    emergency: I64
    emergency_from_s: F64
    geo_offset_m: F64  # geometric minus pressure altitude at cruise
    profiles: Profiles

    def __len__(self) -> int:
        return len(self.aircraft)

    @property
    def block_on(self) -> F64:
        return self.block_off + self.profiles.block_s

    @property
    def takeoff(self) -> F64:
        """Lift-off, unix s."""
        return self.block_off + self.profiles.phase_start(2)

    @property
    def landing(self) -> F64:
        """Touch-down, unix s."""
        return self.block_off + self.profiles.phase_start(6)

    def take(self, index: I64) -> Legs:
        return _take(self, index)


T = TypeVar("T", Legs, Profiles)


def _take(obj: T, index: I64) -> T:
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, Profiles):
            changes[f.name] = _take(value, index)
        elif isinstance(value, pa.Array):
            changes[f.name] = value.take(pa.array(index, pa.int64()))
        elif f.name in ("a", "b"):
            changes[f.name] = value[:, index]
        elif f.name in ("t0", "s0", "v0", "acc", "h0", "vr"):
            rows = (index[:, None] * PHASES + np.arange(PHASES)).ravel()
            changes[f.name] = value[rows]
        else:
            changes[f.name] = value[index]
    return dataclasses.replace(obj, **changes)


def concat(parts: list[Legs]) -> Legs:
    """All legs of ``parts`` in order (``parts`` must not be empty)."""
    return _concat(parts)


def _concat(parts: list[T]) -> T:
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(parts[0]):
        values = [getattr(p, f.name) for p in parts]
        if isinstance(values[0], Profiles):
            changes[f.name] = _concat(values)
        elif isinstance(values[0], pa.Array):
            changes[f.name] = pa.concat_arrays(values)
        elif f.name in ("a", "b"):
            changes[f.name] = np.concatenate(values, axis=1)
        else:
            changes[f.name] = np.concatenate(values)
    return dataclasses.replace(parts[0], **changes)
