"""Schedules as the CronJob controller reads them: robfig/cron v3's standard parser (parser.go) and
SpecSchedule.Next (spec.go), with Go's time (time.Date, Time.Add); each case cites its rule."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from icepack_verify.cron_schedules import (Every, fire_times, go_date, go_duration_ns, interval, next_fires,
                                           parse_schedule, previous_fire, same_schedule, valid_schedule)

UTC = timezone.utc
NY = ZoneInfo("America/New_York")
MONDAY = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("spec", [
    "*/15 * * * *", "0 0-22/2 * * *", "5 4 * * sun", "0 0 1 jan *", "0 9 * * MON-FRI",  # names, any case
    "? * * * *", "0 9 * * 1-5", "0  9  *\t*  *",                                         # '?', strings.Fields
    "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly",     # parseDescriptor
    "@every 1h30m", "@every 1.5h", "@every 500ms", "@every 1.s",                         # time.ParseDuration
    "TZ=Europe/Berlin 0 9 * * *", "CRON_TZ=UTC 0 9 * * *",                                # location prefix
    "+5 * * * *", "05 * * * *",                                                           # strconv.Atoi
])
def test_accepted_by_parse_standard(spec):
    assert valid_schedule(spec)


@pytest.mark.parametrize("spec, rule", [
    ("0 0 * * 7", "day of week is 0-6: 7 is above the maximum"), ("60 * * * *", "minute 0-59"),
    ("* 24 * * *", "hour 0-23"), ("0 0 0 * *", "day of month 1-31: 0 is below the minimum"),
    ("0 0 * 13 *", "month 1-12"), ("5-1 * * * *", "beginning of range beyond end of range"),
    ("*/0 * * * *", "step of range should be a positive number"), ("1-2-3 * * * *", "too many hyphens"),
    ("*/2/3 * * * *", "too many slashes"), ("* * * *", "expected exactly 5 fields"),
    ("0 * * * * *", "expected exactly 5 fields (no seconds in the standard parser)"),
    ("-1 * * * *", "negative numbers not allowed"), ("a * * * *", "failed to parse int"),
    ("@every", "unrecognized descriptor"), ("@every 1", "time: missing unit in duration"),
    ("@every 1d", "time: unknown unit 'd'"), ("@every x", "time: invalid duration"),
    ("@reboot", "unrecognized descriptor"), ("@HOURLY", "descriptors are matched exactly"),
    ("@hourly ", "descriptors are matched exactly"), ("TZ=Nowhere/City 0 * * * *", "provided bad location"),
    ("TZ=UTC", "a location prefix needs a spec after it"), ("", "empty spec string"), (None, "not a string"),
    ({"schedule": "x"}, "not a string"),
])
def test_refused_by_parse_standard(spec, rule):
    assert not valid_schedule(spec), rule


@pytest.mark.parametrize("text, ns", [("1h30m", 5400 * 10 ** 9), ("1.5h", 5400 * 10 ** 9), ("-2s", -2 * 10 ** 9),
                                       ("0", 0), ("300ms", 3 * 10 ** 8), (".5s", 5 * 10 ** 8), ("1µs", 1000)])
def test_go_parse_duration(text, ns):
    assert go_duration_ns(text) == ns


@pytest.mark.parametrize("spec, seconds", [("@every 90m", 5400), ("@every 500ms", 1), ("@every -5s", 1),
                                            ("@every 1500ms", 1)])
def test_every_is_whole_seconds_at_least_one(spec, seconds):  # constantdelay.go Every
    assert parse_schedule(spec) == Every(seconds)


def _fires(spec, start=MONDAY, n=3, tz=UTC):
    return [t.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") for t in fire_times(spec, start, n, tz)]


def test_day_of_month_or_day_of_week_when_both_restricted():  # spec.go dayMatches: OR
    assert _fires("0 0 1 * mon", n=4) == ["2024-01-08 00:00 UTC", "2024-01-15 00:00 UTC", "2024-01-22 00:00 UTC",
                                         "2024-01-29 00:00 UTC"]
    assert _fires("0 0 1 * mon", start=MONDAY + timedelta(days=29), n=2) == ["2024-02-01 00:00 UTC",
                                                                             "2024-02-05 00:00 UTC"]


def test_day_of_month_and_day_of_week_when_one_is_a_star():  # dayMatches: AND when either has the star bit
    assert _fires("0 0 */1 * tue", n=2) == ["2024-01-02 00:00 UTC", "2024-01-09 00:00 UTC"]  # '*/1' keeps the star
    assert _fires("0 0 1-31 * tue", n=2) == ["2024-01-02 00:00 UTC", "2024-01-03 00:00 UTC"]  # a range does not: OR


def test_n_slash_step_runs_to_the_maximum():  # getRange: 'N/step' is 'N-max/step'
    assert _fires("5/20 * * * *", n=4) == ["2024-01-01 00:05 UTC", "2024-01-01 00:25 UTC", "2024-01-01 00:45 UTC",
                                          "2024-01-01 01:05 UTC"]


def test_descriptors_are_their_fields():
    for descriptor, spec in (("@hourly", "0 * * * *"), ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"),
                             ("@weekly", "0 0 * * 0"), ("@monthly", "0 0 1 * *"), ("@yearly", "0 0 1 1 *")):
        assert same_schedule(descriptor, spec) and same_schedule(spec, descriptor), descriptor


def test_an_impossible_day_never_fires_and_compares():  # spec.go: zero time after five years
    assert fire_times("0 0 30 2 *", MONDAY, 3) == []
    assert same_schedule("0 0 30 2 *", "0 0 31 2 *")
    assert not same_schedule("0 0 30 2 *", "0 0 28 2 *")
    assert next_fires("0 0 30 2 *") == "never (no such date)"
    assert previous_fire("0 0 30 2 *", MONDAY) is None
    assert interval("0 0 30 2 *") == timedelta(days=5 * 366)


def test_a_time_the_spring_forward_skips_does_not_fire_that_day():  # spec.go: hours step with Time.Add
    assert _fires("30 2 * * *", datetime(2024, 3, 9, 12, tzinfo=UTC), 2, NY) == ["2024-03-11 02:30 EDT",
                                                                                   "2024-03-12 02:30 EDT"]


def test_a_time_the_fall_back_repeats_fires_at_each_occurrence():
    assert _fires("30 1 * * *", datetime(2024, 11, 2, 12, tzinfo=UTC), 3, NY) == [
        "2024-11-03 01:30 EDT", "2024-11-03 01:30 EST", "2024-11-04 01:30 EST"]


def test_go_time_date_resolves_a_skipped_wall_time_by_its_zone_lookup():
    # time.go Date: the offset in force at the wall time read as UTC (EST), then, the instant falling
    # outside that zone period, the offset at that instant (EDT): 02:30 is 06:30Z (01:30 EST).
    assert go_date(2024, 3, 10, 2, 30, 0, NY) == int(datetime(2024, 3, 10, 6, 30, tzinfo=UTC).timestamp())
    assert go_date(2024, 1, 32, 0, 0, 0, UTC) == int(datetime(2024, 2, 1, tzinfo=UTC).timestamp())  # normalized


def test_every_fires_its_delay_after_each_instant():  # ConstantDelaySchedule.Next
    assert _fires("@every 90m") == ["2024-01-01 01:30 UTC", "2024-01-01 03:00 UTC", "2024-01-01 04:30 UTC"]
    assert same_schedule("@every 90m", "@every 1.5h")
    assert not same_schedule("@every 1h", "0 * * * *")  # a delay from each instant, not a wall-clock grid
    assert interval("@every 90m") == timedelta(minutes=90)


@pytest.mark.parametrize("expected, actual, tz", [
    ("0 */2 * * *", "0 0-22/2 * * *", None),
    ("*/15 * * * *", "*/15 * * * *", "Asia/Kolkata"),        # a zone a whole number of quarter hours from UTC
    ("0 22 * * *", "30 3 * * *", "Asia/Kolkata"),            # 03:30 IST is 22:00 UTC
    ("0 22 * * *", "TZ=Asia/Kolkata 30 3 * * *", None),      # the location prefix
    ("0 9 * * *", "0 9 * * *", "Etc/UTC"),
])
def test_same_instants(expected, actual, tz):
    assert same_schedule(expected, actual, time_zone=tz)


@pytest.mark.parametrize("expected, actual, tz", [
    ("0 8 * * *", "0 9 * * *", "Europe/Berlin"),             # 08:00 UTC only in winter
    ("0 22 * * *", "TZ=Asia/Kolkata 30 3 * * *", "Asia/Kolkata"),  # a TZ= prefix with spec.timeZone is refused
    ("0 0 * * 0", "0 0 * * 7", None),                        # '7' is not a day of week
    ("0 * * * *", "0 * * * *", "Not/AZone"),
    ("0 * * * *", None, None), ("0 * * * *", {"x": 1}, None), (None, "0 * * * *", None),
])
def test_not_the_same_instants(expected, actual, tz):
    assert not same_schedule(expected, actual, time_zone=tz)


def test_previous_fire_is_the_last_at_or_before():
    assert previous_fire("0 */2 * * *", datetime(2024, 5, 5, 5, 5, tzinfo=UTC)) == datetime(2024, 5, 5, 4, tzinfo=UTC)
    assert previous_fire("0 0 1 * *", datetime(2024, 5, 5, tzinfo=UTC)) == datetime(2024, 5, 1, tzinfo=UTC)
    assert previous_fire("not a schedule", MONDAY) is None
