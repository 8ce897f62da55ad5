"""Throughput and latency from every response the simulated users timed (locust's CSV is a
snapshot taken every few seconds, and its percentiles are rounded)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    name: str  # the request's kind, as named in load/locustfile.py
    start: float  # seconds since the epoch
    ms: float
    failed: bool


def nearest_rank(ordered: list[float], p: int) -> float | None:
    if not ordered:
        return None
    return round(ordered[max(0, -(-len(ordered) * p // 100) - 1)])


def figures(timings: list[Timing], seconds: float) -> dict:
    ordered = sorted(t.ms for t in timings)
    return {
        "requests": len(timings),
        "errors": sum(1 for t in timings if t.failed),
        "per_second": round(len(timings) / seconds, 2) if seconds else None,
        "p50_ms": nearest_rank(ordered, 50),
        "p95_ms": nearest_rank(ordered, 95),
        "p99_ms": nearest_rank(ordered, 99),
    }


def summary(timings: list[Timing], *, login: str) -> dict:
    """Every kind of request, all together, and all but the logins (whose PBKDF2 cost is
    deliberate and would otherwise set the tail)."""
    if not timings:
        return {"total": figures([], 0), "without_login": figures([], 0), "by_kind": {}}
    seconds = max(t.start + t.ms / 1000 for t in timings) - min(t.start for t in timings)
    kinds = sorted({t.name for t in timings})
    return {
        "total": figures(timings, seconds),
        "without_login": figures([t for t in timings if t.name != login], seconds),
        "by_kind": {k: figures([t for t in timings if t.name == k], seconds) for k in kinds},
    }
