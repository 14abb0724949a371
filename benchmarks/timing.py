"""Interleaved, timeit-style measurement.

Each candidate is a `timeit.Timer` whose statement is the plain call `f(a0, a1, ...)`
(no *args unpacking, garbage collector off, as timeit does). After a warm-up, each
candidate gets a loop count so that one measurement lasts about `target` seconds; then
`repeats` rounds run every candidate once, rotating the order each round, so drift and
noise on a shared machine land on all candidates alike. Per candidate we keep every
round's per-call time (each timed run follows a short untimed one, so thread pools that
another library left spinning on this few-core machine have settled): the minimum is the least-disturbed run, the median of the
per-round ratios to the reference (same round, seconds apart) is robust to drift.
"""
from __future__ import annotations

import statistics
import timeit
from dataclasses import dataclass, field


@dataclass
class Candidate:
    name: str
    func: object
    args: tuple
    note: str = ""
    timer: timeit.Timer = None
    number: int = 1
    times: list = field(default_factory=list)  # seconds per call, one per round

    def __post_init__(self):
        names = [f"a{i}" for i in range(len(self.args))]
        scope = dict(zip(names, self.args), f=self.func)
        self.timer = timeit.Timer(f"f({', '.join(names)})", globals=scope)

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def calibrate(candidate: Candidate, target: float, warmup: int = 3) -> None:
    """Warm up (adjoint compiles, jax traces on the first call), then pick the loop count."""
    for _ in range(warmup):
        candidate.func(*candidate.args)
    number = 1
    while True:  # the least of three, so one stall on a shared machine doesn't skew it
        elapsed = min(candidate.timer.repeat(3, number))
        if elapsed >= target / 5 or number >= 10 ** 7:
            break
        number *= 10 if elapsed < target / 50 else 2
    per_call = elapsed / number
    candidate.number = max(1, int(target / per_call))


def measure(candidates: list, target: float, repeats: int) -> None:
    for c in candidates:
        calibrate(c, target)
    for r in range(repeats):
        k = r % len(candidates)
        order = candidates[k:] + candidates[:k]
        if r % 2:
            order.reverse()
        for c in order:
            c.timer.timeit(max(1, c.number // 5))  # untimed: let the last library's threads idle
            c.times.append(c.timer.timeit(c.number) / c.number)


def paired_ratio(c: Candidate, reference: Candidate) -> float:
    """Median over rounds of c's time / the reference's time in the same round."""
    return statistics.median(a / b for a, b in zip(c.times, reference.times))
