"""Business hours decided on the server: open now, else the next opening, in the site's zone."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from helpway.shared import hours

WEEKDAYS = [(day, "09:00", "17:00") for day in ("mon", "tue", "wed", "thu", "fri")]


def ms(text: str, zone: str) -> int:
    """Unix ms of a wall-clock time "YYYY-MM-DD HH:MM" in `zone`."""
    wall = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(zone))
    return int(wall.timestamp() * 1000)


def test_open_inside_a_span_closed_at_its_end() -> None:
    zone = "Asia/Jakarta"  # Wednesday 2026-12-02
    assert hours.decide(zone, WEEKDAYS, ms("2026-12-02 09:00", zone)) == (True, None)
    assert hours.decide(zone, WEEKDAYS, ms("2026-12-02 16:59", zone)) == (True, None)
    closed = hours.decide(zone, WEEKDAYS, ms("2026-12-02 17:00", zone))
    assert closed == (False, ms("2026-12-03 09:00", zone))


def test_the_weekend_waits_for_monday_in_the_sites_zone_not_utc() -> None:
    zone = "America/Sao_Paulo"
    # Friday 23:30 in São Paulo is already Saturday in UTC; either way the next opening is
    # Monday 09:00 São Paulo time.
    friday_night = ms("2026-12-04 23:30", zone)
    assert hours.decide(zone, WEEKDAYS, friday_night) == (False, ms("2026-12-07 09:00", zone))
    # Before opening on a weekday: later the same day.
    early = ms("2026-12-07 06:00", zone)
    assert hours.decide(zone, WEEKDAYS, early) == (False, ms("2026-12-07 09:00", zone))


def test_a_night_shift_is_two_spans_across_midnight() -> None:
    zone = "Asia/Bangkok"
    night = [("mon", "22:00", "24:00"), ("tue", "00:00", "06:00")]
    assert hours.decide(zone, night, ms("2026-12-07 23:59", zone)) == (True, None)
    assert hours.decide(zone, night, ms("2026-12-08 05:00", zone)) == (True, None)
    after = hours.decide(zone, night, ms("2026-12-08 06:00", zone))
    assert after == (False, ms("2026-12-14 22:00", zone))


def test_daylight_saving_moves_the_instant_not_the_wall_clock() -> None:
    zone = "Europe/Berlin"
    mondays = [("mon", "09:00", "17:00")]
    # Clocks go forward on Sunday 2027-03-28: Monday 09:00 is 07:00 UTC, not 08:00.
    saturday = ms("2027-03-27 12:00", zone)
    _, opening = hours.decide(zone, mondays, saturday)
    assert opening == int(datetime(2027, 3, 29, 7, 0, tzinfo=ZoneInfo("UTC")).timestamp() * 1000)


def test_no_spans_is_never_open() -> None:
    assert hours.decide("UTC", [], 0) == (False, None)


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../../etc/passwd", "/etc/localtime"])
def test_unknown_zones_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        hours.zone(name)


@pytest.mark.parametrize(
    ("day", "opens", "closes"),
    [
        ("mon", "10:00", "09:00"),
        ("mon", "09:00", "09:00"),
        ("mon", "9:00", "10:00"),
        ("mon", "09:00", "24:01"),
        ("mon", "09:60", "10:00"),
        ("funday", "09:00", "10:00"),
    ],
)
def test_bad_spans_are_refused(day: str, opens: str, closes: str) -> None:
    with pytest.raises(ValueError):
        hours.check_span(day, opens, closes)


def test_zones_work_without_a_system_time_zone_database() -> None:
    """Pyodide (the Worker) has no /usr/share/zoneinfo: the `tzdata` package must answer."""
    script = (
        "import zoneinfo; zoneinfo.reset_tzpath([]); from helpway.shared import hours; "
        "print(hours.decide('Asia/Jakarta', [('mon', '09:00', '17:00')], 0))"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    # 1970-01-01 was a Thursday: the next Monday 09:00 in Jakarta (UTC+7) is 02:00 UTC on the 5th.
    assert run.stdout.strip() == "(False, 352800000)"
