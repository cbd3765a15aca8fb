"""CronJob schedules as the CronJob controller reads them: robfig/cron v3's standard parser
(parser.go ParseStandard) and its SpecSchedule.Next (spec.go), evaluated with Go's time rules.

    schedule  := [ ("TZ=" | "CRON_TZ=") zone " " ] ( descriptor | 5 fields )
    fields    := minute (0-59) hour (0-23) day-of-month (1-31) month (1-12, jan-dec) day-of-week (0-6, sun-sat)
    field     := range ( "," range )*     range := ( "*" | "?" | n [ "-" n ] ) [ "/" step ]   ("n/s" is "n-max/s")
    descriptor:= @yearly | @annually | @monthly | @weekly | @daily | @midnight | @hourly | "@every " go-duration

Day of month and day of week are ORed when both are restricted, ANDed when either is '*' (or '?',
or a '*' with step 1). '7' is not a day of week. A spec that can never fire ('30 2' in February) has
no next time (Next returns Go's zero time after five years), which is a schedule, not an error.

Go's time: the hour and minute searches step in absolute time (t.Add), so a wall-clock time a DST
jump skips never fires that day, and one repeated by a fall back fires at each occurrence; a
wall-clock time built for a reset (time.Date) that does not exist resolves as Go's time.Date does.
'@every d' fires d (at least 1 s, whole seconds) after each instant it is asked about.

Nothing here raises on a schedule: one that robfig/cron refuses parses to None and equals nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

STAR = 1 << 63  # spec.go starBit: the field was '*' (or '?')
_MONTHS = {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
_DAYS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}
_BOUNDS = ((0, 59, None), (0, 23, None), (1, 31, None), (1, 12, _MONTHS), (0, 6, _DAYS))  # parser.go bounds


def _bits(low: int, high: int, step: int = 1) -> int:
    return sum(1 << i for i in range(low, high + 1, step))


def _all(low: int, high: int) -> int:
    return _bits(low, high) | STAR


@dataclass(frozen=True)
class Spec:
    """spec.go SpecSchedule: one bit set per field; location None means the controller's zone."""
    second: int
    minute: int
    hour: int
    dom: int
    month: int
    dow: int
    location: tzinfo | None = None


@dataclass(frozen=True)
class Every:
    """constantdelay.go ConstantDelaySchedule: whole seconds, at least one."""
    seconds: int


Schedule = Spec | Every

_DESCRIPTORS = {  # parser.go parseDescriptor
    "@yearly": (1, 1, 1, 1 << 1, 1 << 1, _all(0, 6)),
    "@annually": (1, 1, 1, 1 << 1, 1 << 1, _all(0, 6)),
    "@monthly": (1, 1, 1, 1 << 1, _all(1, 12), _all(0, 6)),
    "@weekly": (1, 1, 1, _all(1, 31), _all(1, 12), 1),
    "@daily": (1, 1, 1, _all(1, 31), _all(1, 12), _all(0, 6)),
    "@midnight": (1, 1, 1, _all(1, 31), _all(1, 12), _all(0, 6)),
    "@hourly": (1, 1, _all(0, 23), _all(1, 31), _all(1, 12), _all(0, 6)),
}

_UNITS = {"ns": Decimal(1), "us": Decimal(10 ** 3), "µs": Decimal(10 ** 3), "μs": Decimal(10 ** 3),
          "ms": Decimal(10 ** 6), "s": Decimal(10 ** 9), "m": Decimal(60 * 10 ** 9), "h": Decimal(3600 * 10 ** 9)}
_DURATION_ELEMENT = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")


def go_duration_ns(text: str) -> int | None:
    """time.ParseDuration: '1h30m', '1.5h', '-2s', '0'; None where Go refuses it."""
    sign, body = (-1 if text[:1] == "-" else 1), text[1:] if text[:1] in "+-" else text
    if body == "0":
        return 0
    if not body:
        return None
    total, pos = Decimal(0), 0
    while pos < len(body):
        m = _DURATION_ELEMENT.match(body, pos)
        whole, fraction, unit = m.group(1), m.group(2), m.group(3)
        if not (whole or fraction) or unit not in _UNITS:
            return None
        total += Decimal(f"{whole or 0}.{fraction or 0}") * _UNITS[unit]
        pos = m.end()
    ns = int(total) * sign
    return ns if -(2 ** 63) <= ns <= 2 ** 63 - 1 else None


def _number(text: str, names: dict | None) -> int | None:
    """parser.go parseIntOrName / mustParseInt (strconv.Atoi: optional sign, ASCII digits; no negatives)."""
    if names and text.lower() in names:
        return names[text.lower()]
    if not re.fullmatch(r"[+-]?[0-9]+", text) or int(text) < 0 or int(text) > 2 ** 63 - 1:
        return None
    return int(text)


def _range(expr: str, low: int, high: int, names: dict | None) -> int | None:
    """parser.go getRange."""
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    extra = 0
    if low_and_high[0] in ("*", "?"):
        start, end, extra = low, high, STAR
    else:
        if len(low_and_high) > 2:
            return None
        start = _number(low_and_high[0], names)
        end = start if len(low_and_high) == 1 else _number(low_and_high[1], names)
        if start is None or end is None:
            return None
    step = 1
    if len(range_and_step) == 2:
        step = _number(range_and_step[1], None)
        if step is None:
            return None
        if len(low_and_high) == 1:
            end = high  # 'N/step' is 'N-max/step'
        if step > 1:
            extra = 0
    elif len(range_and_step) > 2:
        return None
    if start < low or end > high or start > end or step == 0:
        return None
    return _bits(start, end, step) | extra


def _field(text: str, low: int, high: int, names: dict | None) -> int | None:
    bits = 0
    for expr in text.split(","):
        got = _range(expr, low, high, names)
        if got is None:
            return None
        bits |= got
    return bits


def load_location(name: str) -> tzinfo | None:
    """time.LoadLocation: '' and 'UTC' are UTC; 'Local' the controller's zone (UTC on EKS); else the tz database."""
    if name in ("", "UTC", "Local"):
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_schedule(text: object) -> Schedule | None:
    """cron.ParseStandard; None where it returns an error."""
    return _parse(text) if isinstance(text, str) and text else None


@lru_cache(maxsize=256)
def _parse(text: str) -> Schedule | None:
    location = None
    if text.startswith(("TZ=", "CRON_TZ=")):
        space = text.find(" ")
        if space < 0 or (location := load_location(text[text.index("=") + 1:space])) is None:
            return None
        text = text[space:].strip()
    if text.startswith("@"):
        if text.startswith("@every "):
            ns = go_duration_ns(text[len("@every "):])
            return None if ns is None else Every(max(ns, 10 ** 9) // 10 ** 9)
        fields = _DESCRIPTORS.get(text)
        return Spec(*fields, location=location) if fields else None
    parts = text.split()
    if len(parts) != 5:
        return None
    bits = [_field(p, low, high, names) for p, (low, high, names) in zip(parts, _BOUNDS)]
    return None if None in bits else Spec(1, *bits, location=location)


def valid_schedule(text: object) -> bool:
    return parse_schedule(text) is not None


# --- Go's time, on whole seconds --------------------------------------------------------------

def _offset(ts: int, loc: tzinfo) -> int:
    return int(datetime.fromtimestamp(ts, loc).utcoffset().total_seconds())


def _local(ts: int, loc: tzinfo) -> datetime:
    return datetime.fromtimestamp(ts, loc)


def go_date(year: int, month: int, day: int, hour: int, minute: int, second: int, loc: tzinfo) -> int:
    """time.Date: out-of-range fields normalize (Jan 32 is Feb 1); a wall time that a transition skips or
    repeats takes the offset Go's lookup gives (the zone in force at the wall time read as UTC, unless
    the resulting instant falls outside that zone period)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    wall = datetime(year, month, 1) + timedelta(days=day - 1, hours=hour, minutes=minute, seconds=second)
    unix = int((wall - datetime(1970, 1, 1)).total_seconds())
    offset = _offset(unix, loc)
    if offset and _offset(unix - offset, loc) != offset:
        offset = _offset(unix - offset, loc)
    return unix - offset


def _add_date(ts: int, loc: tzinfo, months: int = 0, days: int = 0) -> int:
    t = _local(ts, loc)
    return go_date(t.year, t.month + months, t.day + days, t.hour, t.minute, t.second, loc)


def _day_matches(s: Spec, t: datetime) -> bool:
    dom = bool(1 << t.day & s.dom)
    dow = bool(1 << (t.isoweekday() % 7) & s.dow)
    return dom and dow if (s.dom & STAR or s.dow & STAR) else dom or dow


def next_after(schedule: Schedule, ts: int, controller_zone: tzinfo = timezone.utc) -> int | None:
    """Schedule.Next(t) for an instant in whole seconds; None for Go's zero time (no fire within five years)."""
    if isinstance(schedule, Every):
        return ts + schedule.seconds
    s, loc = schedule, schedule.location or controller_zone
    t = ts + 1
    added = False
    year_limit = _local(t, loc).year + 5
    while True:  # spec.go's WRAP label
        f = _local(t, loc)
        if f.year > year_limit:
            return None
        wrapped = False
        while not 1 << f.month & s.month:
            if not added:
                added, t = True, go_date(f.year, f.month, 1, 0, 0, 0, loc)
            t = _add_date(t, loc, months=1)
            f = _local(t, loc)
            if f.month == 1:
                wrapped = True
                break
        if wrapped:
            continue
        while not _day_matches(s, f):
            if not added:
                added, t = True, go_date(f.year, f.month, f.day, 0, 0, 0, loc)
            t = _add_date(t, loc, days=1)
            f = _local(t, loc)
            if f.hour:  # midnight skipped or repeated by DST: spec.go moves back to the day's start
                t += (24 - f.hour) * 3600 if f.hour > 12 else -f.hour * 3600
                f = _local(t, loc)
            if f.day == 1:
                wrapped = True
                break
        if wrapped:
            continue
        for unit, size, bits in (("hour", 3600, s.hour), ("minute", 60, s.minute), ("second", 1, s.second)):
            while not 1 << getattr(f, unit) & bits:
                if not added:
                    added = True
                    t = go_date(f.year, f.month, f.day, f.hour, 0, 0, loc) if unit == "hour" else t - t % size
                # One step at a time, except seconds: they advance with the instant (offsets are whole
                # minutes), so the loop's stop (a set bit, or second 0) is computed, not walked.
                t += size if unit != "second" else next(k for k in range(1, 61) if 1 << (f.second + k) % 60 & bits
                                                         or (f.second + k) % 60 == 0)
                f = _local(t, loc)
                if getattr(f, unit) == 0:
                    wrapped = True
                    break
            if wrapped:
                break
        if not wrapped:
            return t


# --- what the checks ask -----------------------------------------------------------------------

# Fixed reference instants: a Monday midnight, and a month end.
_REFERENCES = (datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2024, 2, 28, 13, 7, tzinfo=timezone.utc))
_SEASONS = (datetime(2024, 1, 15), datetime(2024, 7, 15))  # winter and summer offsets of a zone


def zone(name: object) -> tzinfo | None:
    """A CronJob's spec.timeZone. None is UTC: a caller judging a CronJob without spec.timeZone passes the
    kube-controller-manager's zone instead (checks.controller_time_zone). None back: not a zone, '' included
    (the API server's CronJob validation refuses an empty spec.timeZone: "must be nil or non-empty string")."""
    if name is None:
        return timezone.utc
    if not name:
        return None
    tz = load_location(str(name))
    # 'UTC', 'Etc/UTC', 'GMT'...: UTC all year round, so compared as UTC.
    if tz is not None and all(tz.utcoffset(ref) == timedelta(0) for ref in _SEASONS):
        return timezone.utc
    return tz


def _in_zone(schedule: object, tz: tzinfo) -> Schedule | None:
    """The schedule as the controller runs it in spec.timeZone: a schedule with its own TZ= and a
    spec.timeZone is refused (the controller would parse 'TZ=<zone> TZ=...')."""
    parsed = parse_schedule(schedule)
    if isinstance(parsed, Spec) and tz != timezone.utc:
        return None if parsed.location is not None else Spec(*_fields(parsed), location=tz)
    return parsed


def _fields(s: Spec) -> tuple[int, ...]:
    return s.second, s.minute, s.hour, s.dom, s.month, s.dow


def fire_times(schedule: object, start: datetime, count: int, tz: tzinfo = timezone.utc) -> list[datetime]:
    """The next `count` fire instants (UTC) after `start`; fewer when the schedule stops firing, none
    when it is not a schedule."""
    parsed = _in_zone(schedule, tz)
    out: list[datetime] = []
    ts = int(start.timestamp())
    while parsed is not None and len(out) < count and (ts := next_after(parsed, ts)) is not None:
        out.append(datetime.fromtimestamp(ts, timezone.utc))
    return out


@lru_cache(maxsize=64)
def _fires(schedule: str, count: int, tz: tzinfo) -> tuple[tuple[datetime, ...], ...]:
    return tuple(tuple(fire_times(schedule, ref, count, tz)) for ref in _REFERENCES)


def same_schedule(expected: object, actual: object, count: int = 800, time_zone: object = None) -> bool:
    """Two schedules are the same when they fire at the same instants: '0 */2 * * *' == '0 0-22/2 * * *',
    '@hourly' == '0 * * * *', and '*/15 * * * *' in Asia/Kolkata == '*/15 * * * *' in UTC. The
    expectation is read in UTC; the actual schedule in its CronJob's time zone."""
    tz = zone(time_zone)
    e, a = parse_schedule(expected), _in_zone(actual, tz) if tz is not None else None
    if e is None or a is None:
        return False
    if e == a or (isinstance(e, Spec) and isinstance(a, Spec) and _fields(e) == _fields(a)
                  and (e.location or timezone.utc) == (a.location or timezone.utc)):
        return True  # the same fields in the same zone: the same instants, no need to enumerate them
    return _fires(expected, count, timezone.utc) == _fires(actual, count, tz)


def next_fires(schedule: object, time_zone: object = None, count: int = 3) -> str:
    """'Mon 00:00, Mon 02:00, Mon 04:00 UTC': the next fire times from a fixed Monday midnight, for messages."""
    tz = zone(time_zone)
    if tz is None or _in_zone(schedule, tz) is None:
        return "never (not a schedule)"
    fires = fire_times(schedule, _REFERENCES[0], count, tz)
    return ", ".join(f"{t:%a %H:%M}" for t in fires) + " UTC" if fires else "never (no such date)"


@lru_cache(maxsize=64)
def interval(schedule: str, at: datetime | None = None) -> timedelta:
    """The longest gap between consecutive fire times over a day: the refresh guarantee (five years
    for a schedule that never fires again)."""
    parsed, never = parse_schedule(schedule), timedelta(days=5 * 366)
    first = previous = next_after(parsed, int((at or _REFERENCES[0]).timestamp())) if parsed else None
    longest = timedelta(0) if first is not None else never
    while previous is not None and previous < first + 86400:  # every gap that starts within the day
        following = next_after(parsed, previous)
        longest = max(longest, timedelta(seconds=following - previous) if following is not None else never)
        previous = following
    return longest


def previous_fire(schedule: str, now: datetime, tz: tzinfo = timezone.utc) -> datetime | None:
    """The last fire at or before `now`, found as the controller finds it (Next from an earlier instant);
    None when there was none in the last five years."""
    parsed = _in_zone(schedule, tz)
    if parsed is None:
        return None
    end = int(now.timestamp())
    for window in (3600, 86400, 8 * 86400, 32 * 86400, 367 * 86400, 5 * 366 * 86400):
        ts = next_after(parsed, end - window)
        if ts is not None and ts <= end:
            while (following := next_after(parsed, ts)) is not None and following <= end:
                ts = following
            return datetime.fromtimestamp(ts, timezone.utc)
    return None
