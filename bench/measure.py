"""Timing helpers: run a callable over inputs, in-process, and summarise the latencies in milliseconds."""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Sequence
from typing import Any


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summarise(latencies_ms: list[float]) -> dict[str, Any]:
    values = sorted(latencies_ms)
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 3),
        "p95_ms": round(percentile(values, 95), 3),
        "p99_ms": round(percentile(values, 99), 3),
        "max_ms": round(values[-1], 3) if values else None,
        "mean_ms": round(sum(values) / len(values), 3) if values else None,
    }


def timed_calls[T](
    fn: Callable[[T], Any], inputs: Sequence[T], *, warmup: Sequence[T] = ()
) -> tuple[list[float], list[Any], float]:
    """Call fn on each warm-up input (untimed), then on each input, timing each call. Returns (wall ms per call,
    results, mean CPU ms of this process per call): wall time well above CPU time means the process was waiting,
    for the database or for a CPU that other work was using."""
    for item in warmup:
        fn(item)
    gc.collect()
    latencies: list[float] = []
    results: list[Any] = []
    clock = time.perf_counter_ns
    cpu = time.process_time()
    for item in inputs:
        t0 = clock()
        result = fn(item)
        latencies.append((clock() - t0) / 1e6)
        results.append(result)
    cpu_ms = (time.process_time() - cpu) * 1000 / max(1, len(inputs))
    return latencies, results, cpu_ms


def best_of(rounds: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The round with the lowest `key` percentile, plus the spread of that percentile over all rounds."""
    best = dict(min(rounds, key=lambda r: r[key]))
    values = [r[key] for r in rounds]
    best["rounds"] = len(rounds)
    best[f"{key}_all_rounds"] = values
    best[f"{key}_spread"] = [min(values), max(values)]
    return best
