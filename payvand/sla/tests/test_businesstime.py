"""Property tests of business-time arithmetic: across Hungary's daylight-saving changes, holidays, and Jalali
month and year ends (Nowruz), on the real Iran and Hungary week shapes and on random weeks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import jdatetime
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from payvand.sla.businesstime import MAX_DAYS, NoWorkingTime, Schedule, business_add, business_between, is_working

T = dt.time
TEHRAN = ZoneInfo("Asia/Tehran")
BUDAPEST = ZoneInfo("Europe/Budapest")
IRAN_HOURS = [(d, T(8), T(16)) for d in (5, 6, 0, 1, 2)] + [(3, T(8), T(12))]
HUNGARY_HOURS = [(d, T(8), T(16, 30)) for d in (0, 1, 2, 3)] + [(4, T(8), T(14))]
# Nowruz 1404 (the Jalali year end) and the 31st of Shahrivar 1403 (a month end), as Iranian holidays.
IRAN_HOLIDAYS = [dt.date(2025, 3, d) for d in range(20, 25)] + [dt.date(2024, 9, 22)]
# Hungary: 15 March, Easter Monday 2025, 23 October, 1 November.
HUNGARY_HOLIDAYS = [dt.date(2025, 3, 15), dt.date(2025, 4, 21), dt.date(2025, 10, 23), dt.date(2025, 11, 1)]

IRAN = Schedule.build(time_zone="Asia/Tehran", hours=IRAN_HOURS, holidays=IRAN_HOLIDAYS)
HUNGARY = Schedule.build(time_zone="Europe/Budapest", hours=HUNGARY_HOURS, holidays=HUNGARY_HOLIDAYS)
ROUND_THE_CLOCK_HU = Schedule.build(time_zone="Europe/Budapest", hours=[(d, T(0), T(0)) for d in range(7)])


def _moments(tz: ZoneInfo, lo: dt.datetime, hi: dt.datetime) -> st.SearchStrategy[dt.datetime]:
    return st.datetimes(min_value=lo, max_value=hi, timezones=st.just(tz), allow_imaginary=False)


# Around Hungary's spring-forward (30 March 2025) and fall-back (26 October 2025) changes.
HU_MOMENTS = st.one_of(
    _moments(BUDAPEST, dt.datetime(2025, 3, 20), dt.datetime(2025, 4, 10)),
    _moments(BUDAPEST, dt.datetime(2025, 10, 15), dt.datetime(2025, 11, 5)),
)
# Around Nowruz (Esfand 1403 -> Farvardin 1404) and the end of Shahrivar 1403.
IR_MOMENTS = st.one_of(
    _moments(TEHRAN, dt.datetime(2025, 3, 10), dt.datetime(2025, 4, 5)),
    _moments(TEHRAN, dt.datetime(2024, 9, 15), dt.datetime(2024, 9, 30)),
)
AMOUNTS = st.integers(min_value=0, max_value=60 * 24 * 20).map(lambda m: dt.timedelta(minutes=m))


@st.composite
def random_schedules(draw: st.DrawFn) -> Schedule:
    """Random week shapes: 0-2 intervals a day at minute resolution (some ending at midnight), random holidays."""
    hours = []
    for weekday in range(7):
        cuts = sorted(draw(st.sets(st.integers(min_value=0, max_value=24 * 60), max_size=4)))
        for start, end in zip(cuts[::2], cuts[1::2], strict=False):
            if end > start:
                end_time = T(0) if end == 24 * 60 else T(end // 60, end % 60)
                hours.append((weekday, T(start // 60, start % 60), end_time))
    holidays = draw(st.lists(st.dates(min_value=dt.date(2025, 3, 1), max_value=dt.date(2025, 11, 30)), max_size=30))
    tz = draw(st.sampled_from(["Europe/Budapest", "Asia/Tehran", "UTC"]))
    return Schedule.build(time_zone=tz, hours=hours, holidays=holidays)


@settings(max_examples=300, deadline=None)
@given(
    schedule=st.sampled_from([IRAN, HUNGARY, ROUND_THE_CLOCK_HU]),
    start=st.one_of(HU_MOMENTS, IR_MOMENTS),
    amount=AMOUNTS,
)
def test_it_adds_exactly_what_between_measures(schedule: Schedule, start: dt.datetime, amount: dt.timedelta) -> None:
    end = business_add(schedule, start, amount)
    assert end >= start
    assert business_between(schedule, start, end) == amount


def _weekly(schedule: Schedule) -> dt.timedelta:
    def minutes(t: dt.time) -> int:
        return t.hour * 60 + t.minute

    return sum(
        (
            dt.timedelta(minutes=(24 * 60 if end == T(0) else minutes(end)) - minutes(start))
            for spans in schedule.hours.values()
            for start, end in spans
        ),
        dt.timedelta(0),
    )


@settings(max_examples=200, deadline=None)
@given(schedule=random_schedules(), start=HU_MOMENTS, amount=AMOUNTS)
def test_it_round_trips_on_random_weeks(schedule: Schedule, start: dt.datetime, amount: dt.timedelta) -> None:
    if not schedule.has_working_time:
        with pytest.raises(NoWorkingTime):
            business_add(schedule, start, amount + dt.timedelta(minutes=1))
        return
    # A week with a minute of work does not reach 20 days of business time within MAX_DAYS: that is NoWorkingTime.
    assume(_weekly(schedule) * (MAX_DAYS // 7 - 10) >= amount)
    end = business_add(schedule, start, amount)
    assert business_between(schedule, start, end) == amount
    if amount:
        # The deadline falls in working time: just before it the clock was running.
        assert is_working(schedule, end.astimezone(dt.UTC) - dt.timedelta(microseconds=1))


@settings(max_examples=200, deadline=None)
@given(
    schedule=st.sampled_from([IRAN, HUNGARY]),
    moments=st.lists(st.one_of(HU_MOMENTS, IR_MOMENTS), min_size=3, max_size=3),
)
def test_it_adds_up_over_consecutive_spans(schedule: Schedule, moments: list[dt.datetime]) -> None:
    a, b, c = sorted(moments)
    assert business_between(schedule, a, c) == business_between(schedule, a, b) + business_between(schedule, b, c)


@settings(max_examples=200, deadline=None)
@given(schedule=st.sampled_from([IRAN, HUNGARY]), start=st.one_of(HU_MOMENTS, IR_MOMENTS), a=AMOUNTS, b=AMOUNTS)
def test_it_is_monotonic(schedule: Schedule, start: dt.datetime, a: dt.timedelta, b: dt.timedelta) -> None:
    small, large = sorted([a, b])
    assert business_add(schedule, start, small) <= business_add(schedule, start, large)


@settings(max_examples=100, deadline=None)
@given(start=IR_MOMENTS, amount=AMOUNTS.filter(bool))
def test_it_never_ends_on_a_holiday_or_a_friday_in_iran(start: dt.datetime, amount: dt.timedelta) -> None:
    end = business_add(IRAN, start, amount) - dt.timedelta(microseconds=1)
    local = end.astimezone(TEHRAN)
    assert local.date() not in IRAN.holidays
    assert local.weekday() != 4  # Friday
    if local.weekday() == 3:  # Thursday: the morning only
        assert local.time() < T(12)


def test_it_counts_the_wall_clock_of_a_daylight_saving_day() -> None:
    def day(d: int, month: int) -> dt.datetime:
        return dt.datetime(2025, month, d, tzinfo=BUDAPEST)

    assert business_between(ROUND_THE_CLOCK_HU, day(30, 3), day(31, 3)) == dt.timedelta(hours=23)
    assert business_between(ROUND_THE_CLOCK_HU, day(26, 10), day(27, 10)) == dt.timedelta(hours=25)
    # Office hours do not notice the change: Friday 28 March to Monday 31 March is one Friday afternoon.
    friday_noon = dt.datetime(2025, 3, 28, 12, tzinfo=BUDAPEST)
    assert business_between(HUNGARY, friday_noon, dt.datetime(2025, 3, 31, 12, tzinfo=BUDAPEST)) == dt.timedelta(
        hours=2 + 4
    )


def test_it_skips_nowruz_across_the_jalali_year_end() -> None:
    # Wednesday 29 Esfand 1403 (19 March 2025), 15:00: one hour left that day, then Nowruz until 4 Farvardin.
    start = jdatetime.datetime(1403, 12, 29, 15, 0).togregorian().replace(tzinfo=TEHRAN)
    end = business_add(IRAN, start, dt.timedelta(hours=2))
    local = jdatetime.datetime.fromgregorian(datetime=end.astimezone(TEHRAN))
    # 20-24 March are holidays, 21 March is also a Friday; Tuesday 25 March (5 Farvardin 1404) 09:00.
    assert (local.year, local.month, local.day, local.hour) == (1404, 1, 5, 9)


def test_it_refuses_a_schedule_without_working_time() -> None:
    empty = Schedule.build(time_zone="UTC", hours=[])
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(NoWorkingTime):
        business_add(empty, start, dt.timedelta(minutes=1))
    assert business_add(empty, start, dt.timedelta(0)) == start
    assert business_between(empty, start, start + dt.timedelta(days=30)) == dt.timedelta(0)
