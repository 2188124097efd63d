"""A batch scope: many use cases run one after the other in one transaction (an email import, the mail worker's
batch), and what stays the same across them is read once.

Inside `batch_scope()`:

- `memo(key, load)` keeps what `load()` returned for the rest of the scope: reference data that the batch itself
  does not change (the built-in statuses, the SLA policies, the automation rules, a team's lead and contacts,
  notification preferences). Outside a scope it just calls `load()`.
- `forget(prefix)` drops the kept values whose key is `prefix`, or a tuple whose first item is `prefix` (e.g. after
  a savepoint rolled back what a value was derived from).
- `after_commit(key, value)` collects work that would be one callback per use case (a live push, a task to enqueue)
  so the scope runs it once at its end, with everything collected, after the transaction committed. Outside a scope
  it returns False and the caller does it the usual way.

The scope must enclose the transaction (enter it before `transaction.atomic()`, leave it after), so the collected
callbacks run after the commit. If the transaction rolls back, the callbacks registered through `on_commit` never
run and so never add anything: nothing is sent for work that did not happen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class Scope:
    values: dict[Any, Any] = field(default_factory=dict)
    collected: dict[str, list[Any]] = field(default_factory=dict)
    flushers: dict[str, Callable[[list[Any]], None]] = field(default_factory=dict)


_scope: ContextVar[Scope | None] = ContextVar("payvand_batch_scope", default=None)


def active() -> bool:
    return _scope.get() is not None


def memo[T](key: Any, load: Callable[[], T]) -> T:
    scope = _scope.get()
    if scope is None:
        return load()
    if key not in scope.values:
        scope.values[key] = load()
    return scope.values[key]


def peek(key: Any) -> Any:
    """The value kept under `key`, or None (also outside a scope)."""
    scope = _scope.get()
    return scope.values.get(key) if scope is not None else None


def forget(prefix: str) -> None:
    scope = _scope.get()
    if scope is None:
        return
    for key in [k for k in scope.values if (k[0] if isinstance(k, tuple) else k) == prefix]:
        del scope.values[key]


def after_commit(key: str, value: Any, flush: Callable[[list[Any]], None]) -> bool:
    """Collect `value` under `key`, to be handed (with the others) to `flush` when the scope ends. False outside
    a scope. Call it from an `on_commit` callback, so only committed work is collected."""
    scope = _scope.get()
    if scope is None:
        return False
    scope.collected.setdefault(key, []).append(value)
    scope.flushers[key] = flush
    return True


@contextmanager
def batch_scope() -> Iterator[Scope]:
    if _scope.get() is not None:  # nested: the outer scope does it all
        yield _scope.get()  # type: ignore[misc]
        return
    scope = Scope()
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)
        failed: Exception | None = None
        for key, values in scope.collected.items():
            try:
                scope.flushers[key](values)
            except Exception as exc:  # run the others, then raise like a failing on_commit callback would
                log.exception("batch: running the collected %s failed", key)
                failed = failed or exc
        if failed is not None:
            raise failed
