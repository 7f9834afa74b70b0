"""Cron expressions that mean what cron means.

APScheduler 3 numbers weekdays from Monday=0, so its ``CronTrigger.from_crontab("0 9 * * 1-5")``
runs Tuesday to Saturday. :func:`cron_trigger` reads the five fields the way cron(8) does
(weekday 0 or 7 = Sunday, 1 = Monday ... 6 = Saturday, names allowed) and hands APScheduler
weekday *names*, which mean the same thing everywhere. One difference from Vixie cron stays:
when both day-of-month and day-of-week are restricted, APScheduler requires both (cron: either);
docs/scheduling.md says so.
"""
from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def _day(token: str) -> int:
    t = token.strip().lower()
    if t[:3] in NAMES:
        return NAMES.index(t[:3])
    n = int(t)
    if not 0 <= n <= 7:
        raise ValueError(f"weekday {token!r} is not 0-7 (0 and 7 are Sunday) or a name")
    return n % 7


def weekdays(field: str) -> str:
    """A cron day-of-week field as APScheduler weekday names ("1-5" -> "mon,tue,wed,thu,fri")."""
    if field.strip() == "*":
        return "*"
    days: list[int] = []
    for part in field.split(","):
        rng, _, step_s = part.partition("/")
        step = int(step_s) if step_s else 1
        if step < 1:
            raise ValueError(f"weekday step {step_s!r} must be at least 1")
        if rng == "*":
            lo, hi = 0, 6
        elif "-" in rng:
            a, b = rng.split("-", 1)
            lo, hi = _day(a), (7 if b.strip() == "7" else _day(b))
            if hi < lo:
                raise ValueError(f"weekday range {rng!r} runs backwards")
        else:
            lo = hi = _day(rng)
        days += [d % 7 for d in range(lo, hi + 1, step)]
    ordered = sorted(set(days), key=lambda d: (d + 6) % 7)  # mon..sun
    return ",".join(NAMES[d] for d in ordered)


def cron_trigger(expr: str, timezone: str) -> CronTrigger:
    """A CronTrigger for a 5-field cron expression (minute hour day month weekday) with cron's weekdays."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"wrong number of fields; got {len(fields)}, expected 5")
    minute, hour, day, month, dow = fields
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=weekdays(dow), timezone=timezone)
