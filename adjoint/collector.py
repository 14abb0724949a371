"""Fewer garbage collections while compiling.

A compile allocates hundreds of thousands of small objects (syntax trees, IR, the
generated text) that stay alive until it ends. Each allocation burst set off Python's
cyclic collector, whose full collections walk every object the program holds: a
quarter of the time of compiling 1000 statements. Inside `@fewer_collections`, the
collector's first threshold is raised (it stays on, and collects as usual once the
outermost compile has ended and the old thresholds are back). A program that turned
automatic collection off (threshold 0) is left as it is.
"""
from __future__ import annotations

import functools
import gc
import threading

COMPILE_THRESHOLDS = (50_000, 20, 20)

_lock = threading.Lock()
_state = {"active": 0, "saved": None}  # compiles running now; the thresholds to restore


def fewer_collections(function):
    """Decorate a compile (or a parse): collect less often while it runs."""
    @functools.wraps(function)
    def collecting_less(*args, **kwargs):
        _enter()
        try:
            return function(*args, **kwargs)
        finally:
            _leave()
    return collecting_less


def _enter() -> None:
    with _lock:
        if _state["active"] == 0:
            saved = gc.get_threshold()
            _state["saved"] = saved
            if saved[0]:
                gc.set_threshold(*(max(a, b) for a, b in zip(saved, COMPILE_THRESHOLDS)))
        _state["active"] += 1


def _leave() -> None:
    with _lock:
        _state["active"] -= 1
        if _state["active"] == 0:
            gc.set_threshold(*_state["saved"])
