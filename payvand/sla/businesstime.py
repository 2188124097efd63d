"""Business-time arithmetic, free of the database: a `Schedule` is a time zone, working intervals per weekday (in
local wall-clock time) and a set of holiday dates.

`business_add(schedule, start, amount)` is the moment `amount` of business time after `start`;
`business_between(schedule, a, b)` is the business time from a to b. Both work on aware datetimes and return exact
timedeltas, so `business_between(s, t, business_add(s, t, d)) == d` for every d >= 0. Working intervals are laid
on each local day and then converted to UTC, so a day with a daylight-saving change has the working time its wall
clock shows (a 00:00–24:00 day lasts 23 or 25 hours; 09:00–17:00 stays eight hours).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

ZERO = dt.timedelta(0)
MAX_DAYS = 366 * 20  # no target reaches further than this; a schedule without working time raises


class NoWorkingTime(ValueError):
    """The schedule has no working time at all (or none within MAX_DAYS)."""


@dataclass(frozen=True)
class Schedule:
    tz: ZoneInfo
    # weekday (Monday 0) -> sorted, non-overlapping (start, end) local times; end == time(0) means midnight.
    hours: dict[int, tuple[tuple[dt.time, dt.time], ...]]
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    @classmethod
    def build(
        cls,
        *,
        time_zone: str,
        hours: Iterable[tuple[int, dt.time, dt.time]],
        holidays: Iterable[dt.date] = (),
    ) -> Schedule:
        by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for weekday, start, end in hours:
            by_day.setdefault(weekday, []).append((start, end))
        return cls(
            tz=ZoneInfo(time_zone),
            hours={day: tuple(sorted(spans)) for day, spans in by_day.items()},
            holidays=frozenset(holidays),
        )

    @property
    def has_working_time(self) -> bool:
        return any(_span_positive(s, e) for spans in self.hours.values() for s, e in spans)

    def day_intervals(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The working intervals of one local day, as aware UTC datetimes (empty on holidays)."""
        if day in self.holidays:
            return []
        result = []
        for start, end in self.hours.get(day.weekday(), ()):
            begin = dt.datetime.combine(day, start, tzinfo=self.tz).astimezone(dt.UTC)
            end_day = day + dt.timedelta(days=1) if end == dt.time(0) else day
            finish = dt.datetime.combine(end_day, end, tzinfo=self.tz).astimezone(dt.UTC)
            if finish > begin:
                result.append((begin, finish))
        return result

    def intervals_from(
        self, moment: dt.datetime, until: dt.datetime | None = None
    ) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Working intervals (clipped to start at `moment`) in time order, for at most MAX_DAYS days (or up to the
        local day of `until`)."""
        day = moment.astimezone(self.tz).date() - dt.timedelta(days=1)
        last = until.astimezone(self.tz).date() + dt.timedelta(days=1) if until is not None else None
        floor = moment  # intervals never overlap, even where a wall-clock gap reorders their ends
        for _n in range(MAX_DAYS):
            if last is not None and day > last:
                return
            for begin, finish in self.day_intervals(day):
                begin = max(begin, floor)
                if finish > begin:
                    yield begin, finish
                    floor = finish
            day += dt.timedelta(days=1)


def _span_positive(start: dt.time, end: dt.time) -> bool:
    return end == dt.time(0) or end > start


def business_add(schedule: Schedule, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
    """The moment (in UTC) at which `amount` of business time has passed since `start` (start itself when amount is
    0)."""
    if start.tzinfo is None:
        raise ValueError("start must be aware")
    if amount <= ZERO:
        return start
    if not schedule.has_working_time:
        raise NoWorkingTime("no working hours")
    left = amount
    for begin, finish in schedule.intervals_from(start):
        span = finish - begin
        if span >= left:
            return begin + left  # UTC: arithmetic on it is exact (wall-clock arithmetic skips DST changes)
        left -= span
    raise NoWorkingTime("no working time within reach")


def business_between(schedule: Schedule, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
    """Business time from a to b (zero when b is not after a)."""
    if a.tzinfo is None or b.tzinfo is None:
        raise ValueError("datetimes must be aware")
    if b <= a:
        return ZERO
    total = ZERO
    for begin, finish in schedule.intervals_from(a, b):
        if begin >= b:
            break
        total += min(finish, b) - begin
    return total


def is_working(schedule: Schedule, moment: dt.datetime) -> bool:
    day = moment.astimezone(schedule.tz).date()
    return any(
        begin <= moment < finish
        for d in (day - dt.timedelta(days=1), day)
        for begin, finish in schedule.day_intervals(d)
    )
