"""How long an account is locked after repeated failed logins, escalating with each round.

Every ``AUTH_LOCKOUT_THRESHOLD``-th consecutive failure (default 5) locks the
account: the first time for ``AUTH_LOCKOUT_BASE_S`` (default 60 s), then twice as
long each further round, at most ``AUTH_LOCKOUT_MAX_S`` (default 3600 s). A
successful login resets the count. Attempts made while locked are refused
without checking the password and are not counted.
"""
from __future__ import annotations

from shared import config


def threshold() -> int:
    return max(1, config.env_int("AUTH_LOCKOUT_THRESHOLD", 5))


def lock_period_s(failures: int) -> float:
    """Seconds to lock after the ``failures``-th consecutive failure; 0 when no lock is due."""
    every = threshold()
    if failures <= 0 or failures % every:
        return 0.0
    base = max(0.0, config.env_float("AUTH_LOCKOUT_BASE_S", 60.0))
    ceiling = max(base, config.env_float("AUTH_LOCKOUT_MAX_S", 3600.0))
    rounds = failures // every
    # Cap the exponent: past ~2^20 the ceiling has long been reached and floats would overflow later.
    return min(ceiling, base * 2 ** min(rounds - 1, 20))
