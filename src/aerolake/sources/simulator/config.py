"""The simulator's one configuration record."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from aerolake.errors import ConfigError
from aerolake.refdata.regions import Region

#: About one flight in 500 squawks an emergency code for part of its flight.
EMERGENCY_RATE = 1 / 500


@dataclass(frozen=True)
class SimulatorConfig:
    """What the simulated sky looks like; everything it produces is a pure function of this.

    ``aircraft`` is the fleet size (at a busy hour roughly half to two thirds of it is airborne
    or taxiing); ``sample_s`` the range of each aircraft's report interval in seconds;
    ``emergency_rate`` the share of flights squawking 7700/7600 for part of the flight;
    ``gap_rate`` the chance that a 10-minute stretch of a flight holds a 30-120 s reception gap.
    """

    region: Region
    aircraft: int = 600
    seed: int = 42
    sample_s: tuple[float, float] = (5.0, 10.0)
    emergency_rate: float = EMERGENCY_RATE
    gap_rate: float = 0.15

    def __post_init__(self) -> None:
        if self.aircraft < 1:
            raise ConfigError(f"simulator fleet size must be >= 1, got {self.aircraft}")
        low, high = self.sample_s
        if not 1.0 <= low <= high <= 60.0:
            raise ConfigError(
                f"simulator sample_s must satisfy 1 <= low <= high <= 60 seconds, got {self.sample_s}"
            )
        if not 0.0 <= self.emergency_rate <= 1.0 or not 0.0 <= self.gap_rate <= 1.0:
            raise ConfigError(
                "simulator emergency_rate and gap_rate are probabilities in [0, 1], got "
                f"{self.emergency_rate} and {self.gap_rate}"
            )


def as_config(
    config: SimulatorConfig | Region, aircraft: int | None = None, seed: int | None = None
) -> SimulatorConfig:
    """A config from either a config or a bare region; ``aircraft``/``seed`` override when given."""
    base = config if isinstance(config, SimulatorConfig) else SimulatorConfig(region=config)
    changes: dict[str, int] = {}
    if aircraft is not None:
        changes["aircraft"] = aircraft
    if seed is not None:
        changes["seed"] = seed
    return dataclasses.replace(base, **changes) if changes else base  # type: ignore[arg-type]
