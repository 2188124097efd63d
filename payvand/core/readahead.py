"""Produce the items of an iterator in a forked child process while the caller works on the ones before.

The contact import parses and validates rows (pure Python, no database) while it writes the previous batch. In a
thread the two compete for the interpreter lock, and every query returns to a writer that has to wait for it; in a
child process each side has a core of its own (docs/benchmarks.md). The child is forked, so it starts at once with
the parent's state (the iterator, its open file, the active language) and never sets Django up again. It never
touches the parent's database connection: it only iterates, sends each item through a pipe, and leaves with
`os._exit` (through multiprocessing), so no finaliser closes the inherited connection, and it runs with the garbage
collector off, so no unreachable connection object left in the parent's memory is collected (and closed) there.

Forking a process that runs other threads can deadlock the child, so `can_fork()` is false then (and where the
platform has no fork); callers fall back to a thread.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

_ITEM, _END, _ERROR = "item", "end", "error"


class ReadAheadFailed(RuntimeError):
    """The child stopped without saying why (killed, or its exception could not be sent back)."""


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _produce(items: Iterator[Any], send: Connection) -> None:
    try:
        for item in items:
            send.send((_ITEM, item))
        send.send((_END, None))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent, which raises it
        try:
            send.send((_ERROR, exc))
        except Exception:  # noqa: BLE001 - an exception that cannot be pickled, or the parent has gone
            with contextlib.suppress(OSError):  # OSError: the parent stopped reading, nobody to tell
                send.send((_ERROR, ReadAheadFailed(f"{type(exc).__name__}: {exc}")))
    finally:
        send.close()


@contextmanager
def forked_read_ahead[T](items: Iterator[T]) -> Generator[Iterator[T]]:
    """`items`, produced by a forked child process (at most about one item ahead: the pipe blocks it). An
    exception the iterator raises in the child is raised here, after the items before it. Leaving the block early
    stops the child."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_produce, args=(items, send), daemon=True, name="payvand-read-ahead")
    # The child starts with the garbage collector off: collecting an unreachable database connection object that
    # it inherited would close it, and closing runs a rollback (SQLite writes the journal back into the shared
    # file) or sends a terminate message over the parent's socket (PostgreSQL). It only parses, and exits soon.
    collecting = gc.isenabled()
    gc.disable()
    try:
        child.start()
    finally:
        if collecting:
            gc.enable()
    send.close()

    def consume() -> Generator[T]:
        while True:
            try:
                kind, value = receive.recv()
            except EOFError:
                raise ReadAheadFailed("the reading process stopped unexpectedly") from None
            if kind == _END:
                return
            if kind == _ERROR:
                raise value
            yield value

    consumer = consume()
    try:
        yield consumer
    finally:
        consumer.close()
        receive.close()
        if child.is_alive():
            child.terminate()
        child.join()
