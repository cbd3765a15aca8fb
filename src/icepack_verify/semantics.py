"""Equality that means what operators mean: Kubernetes quantities, cron schedules, image tags."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from croniter import croniter
from kubernetes.utils import parse_quantity

# Fixed reference instants: a Monday midnight, and a month end with a DST-free zone.
_REFERENCES = (datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2024, 2, 28, 13, 7, tzinfo=timezone.utc))


def quantity(value: object) -> Decimal | None:
    try:
        return parse_quantity(value) if value is not None else None
    except ValueError:
        return None


def same_quantity(expected: object, actual: object) -> bool:
    """'1' CPU equals '1000m'; '1Gi' equals '1024Mi'; a missing or bad quantity equals nothing."""
    e, a = quantity(expected), quantity(actual)
    return e is not None and a is not None and e == a


def fire_times(schedule: str, start: datetime, count: int) -> list[datetime]:
    it = croniter(schedule, start)
    return [it.get_next(datetime) for _ in range(count)]


def same_schedule(expected: str, actual: object, count: int = 800) -> bool:
    """Two schedules are the same when their next fire times agree ('0 */2 * * *' == '0 0-22/2 * * *')."""
    if not isinstance(actual, str) or not croniter.is_valid(actual):
        return False
    return all(fire_times(expected, ref, count) == fire_times(actual, ref, count) for ref in _REFERENCES)


def interval(schedule: str, at: datetime | None = None) -> timedelta:
    """The longest gap between consecutive fire times over a day: the refresh guarantee."""
    times = fire_times(schedule, at or _REFERENCES[0], 2 + 24 * 60)  # enough for a day at minute cadence
    day_end = times[0] + timedelta(days=1)
    gaps = [b - a for a, b in zip(times, times[1:]) if a < day_end]
    return max(gaps)


def previous_fire(schedule: str, now: datetime) -> datetime:
    return croniter(schedule, now).get_prev(datetime)


def image_tag(image: object) -> str | None:
    """The tag a container image reference runs: 'repo/icepack:2f9c1e7' -> '2f9c1e7', no tag -> 'latest',
    a digest-pinned reference -> None (it carries no tag)."""
    if not isinstance(image, str) or "@" in image.rsplit("/", 1)[-1]:
        return None
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"
