"""forked_read_ahead: the items of an iterator, produced in a child process, in order, failures included."""

from __future__ import annotations

import os
import threading

import pytest

from payvand.contacts import exchange
from payvand.core import readahead


def _pids(n: int):
    for i in range(n):
        yield i, os.getpid()


def test_it_produces_every_item_in_order_in_another_process():
    with readahead.forked_read_ahead(_pids(50)) as items:
        got = list(items)
    assert [i for i, _pid in got] == list(range(50))
    assert {pid for _i, pid in got} != {os.getpid()}
    assert len({pid for _i, pid in got}) == 1


def _breaks_after(n: int, exc: BaseException):
    yield from range(n)
    raise exc


def test_it_raises_the_iterators_exception_after_the_items_before_it():
    seen: list[int] = []
    with (
        pytest.raises(exchange.FileProblem, match="broken at row 9") as info,
        readahead.forked_read_ahead(_breaks_after(3, exchange.FileProblem("broken at row 9"))) as items,
    ):
        seen.extend(items)
    assert seen == [0, 1, 2]
    assert info.value.message == "broken at row 9"


class _Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("no pickling")


def test_an_exception_that_cannot_travel_still_stops_the_caller():
    with (
        pytest.raises(readahead.ReadAheadFailed, match="_Unpicklable: lost"),
        readahead.forked_read_ahead(_breaks_after(1, _Unpicklable("lost"))) as items,
    ):
        list(items)


def test_leaving_early_stops_the_child():
    def endless():
        i = 0
        while True:
            yield [i] * 10_000
            i += 1

    with readahead.forked_read_ahead(endless()) as items:
        assert next(items)[0] == 0
        assert next(items)[0] == 1
    assert not [c for c in __import__("multiprocessing").active_children() if c.name == "payvand-read-ahead"]


def test_it_does_not_fork_while_other_threads_run():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not readahead.can_fork()
    finally:
        stop.set()
        thread.join()
