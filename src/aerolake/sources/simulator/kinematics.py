"""Where an aircraft is at a given moment of a leg: a piecewise flight profile on a great circle.

A leg runs through eight phases, each with constant acceleration along the track and constant
vertical rate, so one formula evaluates all of them::

    0 taxi out   1 take-off roll   2 climb   3 cruise   4 descent   5 final (3 deg)
    6 landing roll   7 taxi in

The along-track distance ``s`` (m) is measured from the origin airport's reference point
towards the destination on the great circle through both; taxiing and the roll extend it a
little before the origin (``s < 0``) and past the destination (``s > distance``). Lift-off
is within ~1 km of the origin, touch-down within ~1 km before the destination.

Everything here is a pure, vectorised function of the leg tables and sample times: the
history and the live mode call the same :func:`evaluate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from aerolake.refdata.geo import EARTH_RADIUS_KM, to_unit_xyz

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

EARTH_RADIUS_M: Final[float] = EARTH_RADIUS_KM * 1000.0
PHASES: Final[int] = 8
TAXI_OUT, ROLL_OUT, CLIMB, CRUISE, DESCENT, FINAL, ROLL_IN, TAXI_IN = range(PHASES)
PHASE_ON_GROUND: Final[Bool] = np.array([1, 1, 0, 0, 0, 0, 1, 1], dtype=np.bool_)
FEET: Final[float] = 0.3048
#: Height above the runway where the 3-degree final approach starts.
FINAL_HEIGHT_M: Final[float] = 900.0
GLIDE_TAN: Final[float] = float(np.tan(np.radians(3.0)))
#: Shortest cruise segment a leg keeps after its cruise level is lowered to fit the distance.
MIN_CRUISE_M: Final[float] = 5_000.0


@dataclass(frozen=True)
class Profiles:
    """Per-leg flight profiles. Phase tables are flat, ``leg * PHASES + phase``.

    Times are seconds after block-off (start of taxi-out); ``t0`` holds each phase's start,
    ``s0``/``v0``/``acc`` the along-track position (m), speed (m/s) and acceleration (m/s²) at
    that start, ``h0``/``vr`` the altitude (m, pressure altitude ~ MSL) and vertical rate (m/s).
    ``block_s`` is block-off to block-on; lift-off is at ``t0[..., CLIMB]`` and touch-down at
    ``t0[..., ROLL_IN]``. ``a``/``b`` are orthonormal unit vectors spanning each leg's great
    circle (``a`` at the origin, ``b`` a quarter turn towards the destination), shape (3, legs).
    """

    t0: F64
    s0: F64
    v0: F64
    acc: F64
    h0: F64
    vr: F64
    block_s: F64
    cruise_alt_m: F64
    distance_m: F64
    a: F64
    b: F64

    def __len__(self) -> int:
        return len(self.block_s)

    def phase_start(self, phase: int) -> F64:
        """Seconds after block-off at which ``phase`` starts, per leg."""
        return self.t0.reshape(-1, PHASES)[:, phase]


@dataclass(frozen=True)
class Kinematics:
    """Noise-free state at sample times. Degrees, metres, m/s; ``track`` clockwise from north."""

    lat: F64
    lon: F64
    velocity: F64
    track: F64
    vertrate: F64
    altitude: F64
    onground: Bool
    phase: I64


def great_circle_frame(lat1: F64, lon1: F64, lat2: F64, lon2: F64) -> tuple[F64, F64, F64]:
    """(a, b, distance_m): unit vectors ``a`` (origin) and ``b`` (a quarter turn towards the
    destination) of shape (3, n) (x, y, z rows), and the great-circle distance in metres."""
    a = to_unit_xyz(lat1, lon1).reshape(-1, 3)
    d = to_unit_xyz(lat2, lon2).reshape(-1, 3)
    cos_ad = np.clip(np.sum(a * d, axis=1), -1.0, 1.0)
    perp = d - cos_ad[:, None] * a
    norm = np.linalg.norm(perp, axis=1)
    b = perp / np.where(norm > 0, norm, 1.0)[:, None]
    return np.ascontiguousarray(a.T), np.ascontiguousarray(b.T), np.arccos(cos_ad) * EARTH_RADIUS_M


@dataclass(frozen=True)
class ProfileDraws:
    """The random choices that shape each leg (the schedule draws them). SI units."""

    taxi_out_s: F64
    taxi_out_m: F64
    roll_out_s: F64
    liftoff_speed: F64
    climb_rate: F64
    cruise_level_m: F64  # wanted cruise level; lowered when the leg is too short for it
    cruise_speed: F64  # ground speed at cruise for a long leg; short legs fly slower
    descent_rate: F64
    approach_speed: F64
    roll_in_s: F64
    exit_speed: F64
    taxi_in_s: F64


def build_profiles(
    lat1: F64, lon1: F64, elev1: F64, lat2: F64, lon2: F64, elev2: F64, d: ProfileDraws
) -> Profiles:
    """Profiles for legs between two airports (elevations in m). Legs should be >= ~150 km."""
    a, b, dist = great_circle_frame(lat1, lon1, lat2, lon2)
    v_lof, v_app = d.liftoff_speed, d.approach_speed
    short = np.clip((dist - 150e3) / 650e3, 0.0, 1.0)
    v_cr = d.cruise_speed * (0.72 + 0.28 * short)
    roll_out_m = 0.5 * v_lof * d.roll_out_s
    roll_in_m = 0.5 * (v_app + d.exit_speed) * d.roll_in_s
    s_lof = 0.5 * roll_out_m
    s_td = dist - 0.5 * roll_in_m
    h_faf = elev2 + FINAL_HEIGHT_M
    final_m = FINAL_HEIGHT_M / GLIDE_TAN
    # Climb and descent distances grow linearly with the cruise level: lower it until they fit.
    k_climb = 0.5 * (v_lof + v_cr) / d.climb_rate
    k_desc = 0.5 * (v_cr + v_app) / d.descent_rate
    room = s_td - final_m - s_lof - MIN_CRUISE_M
    h_fit = (room + k_climb * elev1 + k_desc * h_faf) / (k_climb + k_desc)
    h_cr = np.maximum(np.minimum(d.cruise_level_m, h_fit), np.maximum(elev1, h_faf) + 300.0)
    climb_s = (h_cr - elev1) / d.climb_rate
    descent_s = (h_cr - h_faf) / d.descent_rate
    s_toc = s_lof + k_climb * (h_cr - elev1)
    s_faf = s_td - final_m
    s_tod = s_faf - k_desc * (h_cr - h_faf)
    cruise_s = np.maximum(s_tod - s_toc, 0.0) / v_cr
    final_s = final_m / v_app

    durations = np.stack(
        [
            d.taxi_out_s,
            d.roll_out_s,
            climb_s,
            cruise_s,
            descent_s,
            final_s,
            d.roll_in_s,
            d.taxi_in_s,
        ],
        axis=1,
    )
    ends = np.cumsum(durations, axis=1)
    t0 = np.concatenate([np.zeros((len(dist), 1)), ends[:, :-1]], axis=1)
    zero = np.zeros_like(dist)
    # Taxiing slows to a stop at the holding point (out) and at the gate (in).
    taxi_out_v = 2.0 * d.taxi_out_m / d.taxi_out_s
    s0 = np.stack(
        [-s_lof - d.taxi_out_m, -s_lof, s_lof, s_toc, s_tod, s_faf, s_td, s_td + roll_in_m], axis=1
    )
    v0 = np.stack([taxi_out_v, zero, v_lof, v_cr, v_cr, v_app, v_app, d.exit_speed], axis=1)
    acc = np.stack(
        [
            -taxi_out_v / d.taxi_out_s,
            v_lof / d.roll_out_s,
            (v_cr - v_lof) / climb_s,
            zero,
            (v_app - v_cr) / descent_s,
            zero,
            (d.exit_speed - v_app) / d.roll_in_s,
            -d.exit_speed / d.taxi_in_s,
        ],
        axis=1,
    )
    h0 = np.stack([elev1, elev1, elev1, h_cr, h_cr, h_faf, elev2, elev2], axis=1)
    vr = np.stack(
        [zero, zero, d.climb_rate, zero, -d.descent_rate, -FINAL_HEIGHT_M / final_s, zero, zero],
        axis=1,
    )
    return Profiles(
        t0=t0.ravel(),
        s0=s0.ravel(),
        v0=v0.ravel(),
        acc=acc.ravel(),
        h0=h0.ravel(),
        vr=vr.ravel(),
        block_s=ends[:, -1],
        cruise_alt_m=h_cr,
        distance_m=dist,
        a=a,
        b=b,
    )


def phase_of(p: Profiles, leg: I64, tau: F64) -> I64:
    """Phase index (0-7) of each sample; ``tau`` is seconds after the leg's block-off."""
    row = leg * PHASES
    phase = np.zeros(len(leg), dtype=np.int64)
    for k in range(1, PHASES):
        phase += tau >= p.t0[row + k]
    return phase


def evaluate(p: Profiles, leg: I64, tau: F64) -> Kinematics:
    """The noise-free state of leg ``leg[i]`` at ``tau[i]`` seconds after its block-off."""
    phase = phase_of(p, leg, tau)
    row = leg * PHASES + phase
    u = tau - p.t0[row]
    v0, acc = p.v0[row], p.acc[row]
    s = p.s0[row] + u * (v0 + 0.5 * acc * u)
    vr = p.vr[row]
    delta = s * (1.0 / EARTH_RADIUS_M)
    cos_d, sin_d = np.cos(delta), np.sin(delta)
    ax, ay, az = p.a[0][leg], p.a[1][leg], p.a[2][leg]
    bx, by, bz = p.b[0][leg], p.b[1][leg], p.b[2][leg]
    px = cos_d * ax + sin_d * bx
    py = cos_d * ay + sin_d * by
    pz = cos_d * az + sin_d * bz
    # Direction of travel: the derivative of the position along the great circle.
    tx = cos_d * bx - sin_d * ax
    ty = cos_d * by - sin_d * ay
    tz = cos_d * bz - sin_d * az
    rxy = np.hypot(px, py)
    inv = 1.0 / np.where(rxy > 0, rxy, 1.0)
    cos_lon, sin_lon = px * inv, py * inv
    east = ty * cos_lon - tx * sin_lon
    north = tz * rxy - pz * (tx * cos_lon + ty * sin_lon)
    track = np.degrees(np.arctan2(east, north))
    return Kinematics(
        lat=np.degrees(np.arctan2(pz, rxy)),
        lon=np.degrees(np.arctan2(py, px)),
        velocity=v0 + acc * u,
        track=np.where(track < 0.0, track + 360.0, track),
        vertrate=vr,
        altitude=p.h0[row] + vr * u,
        onground=PHASE_ON_GROUND[phase],
        phase=phase,
    )
