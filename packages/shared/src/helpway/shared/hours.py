"""Business hours: is a site's team in right now, and when is it next? Pure, no I/O.

Hours are kept as a site owner writes them — wall-clock spans per weekday in the team's IANA
time zone — and decided here on the server with `zoneinfo`, so daylight-saving shifts follow the
zone's rules. The widget only gets the answer (open, and the next opening as a Unix-ms instant
it can show in the visitor's own zone): MicroPython has no time-zone database.

A span closes after it opens on the same day ("24:00" is the end of the day); hours past
midnight are two spans, one on each day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How far ahead the next opening is looked for: every weekday comes round once in this.
_LOOKAHEAD_DAYS = 8


def zone(name: str) -> ZoneInfo:
    """The time zone called `name`; `ValueError` if there is none (an unknown name, a path)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"{name!r} is not an IANA time zone like Europe/Paris") from None


def minutes(clock: str) -> int:
    """Minutes since midnight of "HH:MM" (00:00 to 24:00); `ValueError` otherwise."""
    hours, sep, mins = clock.partition(":")
    if not sep or len(hours) != 2 or len(mins) != 2 or not (hours + mins).isdigit():
        raise ValueError(f"{clock!r} is not a time like 09:30")
    total = int(hours) * 60 + int(mins)
    if int(mins) > 59 or total > 24 * 60:
        raise ValueError(f"{clock!r} is not a time of day between 00:00 and 24:00")
    return total


def check_span(day: str, opens: str, closes: str) -> None:
    """`ValueError` unless the span is a weekday and a non-empty stretch of that day."""
    if day not in DAYS:
        raise ValueError(f"{day!r} is not one of {', '.join(DAYS)}")
    if minutes(closes) <= minutes(opens):
        raise ValueError(f"{day} {opens}-{closes}: closes before it opens")


def _instant(day: datetime, clock_minutes: int, tz: ZoneInfo) -> int:
    """Unix ms of a wall-clock time on `day`'s date in `tz` (24:00 is the next midnight). The
    offset is the one in force at that wall time, so a DST change earlier that day counts."""
    wall = datetime.combine(day.date(), time(0)) + timedelta(minutes=clock_minutes)
    return int(wall.replace(tzinfo=tz).timestamp() * 1000)


def decide(
    time_zone: str, spans: Iterable[tuple[str, str, str]], now_ms: int
) -> tuple[bool, int | None]:
    """(open now, the next opening as Unix ms). Open: the next opening is None; closed with no
    span at all: None too (the team is never in)."""
    tz = zone(time_zone)
    week = [(DAYS.index(day), minutes(opens), minutes(closes)) for day, opens, closes in spans]
    today = datetime.fromtimestamp(now_ms / 1000, tz)
    upcoming: list[int] = []
    for offset in range(-1, _LOOKAHEAD_DAYS):
        day = today + timedelta(days=offset)
        for weekday, opens, closes in week:
            if weekday != day.weekday():
                continue
            start, end = _instant(day, opens, tz), _instant(day, closes, tz)
            if start <= now_ms < end:
                return True, None
            if start > now_ms:
                upcoming.append(start)
    return False, min(upcoming) if upcoming else None
