"""Loader: generated source text -> a live function, compiled from exactly that text.

The text is registered in `linecache` under a name such as `<adjoint grad_loss #0>`, so
tracebacks, `inspect.getsource` and pdb show the generated lines.
"""
from __future__ import annotations

import itertools
import linecache

_counter = itertools.count()


def load(source: str, name: str, namespace: dict):
    """exec `source` (one def of `name`) in a fresh namespace holding `namespace`."""
    return _exec(source, name, namespace)[name]


def load_module(source: str, label: str, namespace: dict) -> dict:
    """exec `source` (several defs) and return its namespace."""
    return _exec(source, label, namespace)


def _exec(source: str, label: str, namespace: dict) -> dict:
    filename = f"<adjoint {label} #{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    scope = dict(namespace)
    exec(compile(source, filename, "exec"), scope)
    return scope
