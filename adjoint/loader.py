"""Loader: generated source text -> a live function, compiled from exactly that text.

The text is registered in `linecache` under a name such as `<adjoint grad_loss #0>`, so
tracebacks, `inspect.getsource` and pdb show the generated lines. The map from generated
lines to the user's lines they come from (`codegen.Generated.origins`) is kept under the
same name in `LINE_MAPS`, for adjoint/debug.py to say where an error comes from.

Both entries live exactly as long as the generated code: a finalizer on an object held in
the code's namespace (which every function defined there, and every frame running one,
keeps alive) drops them once it is gone, so a training loop that recompiles each step
does not grow memory.
"""
from __future__ import annotations

import itertools
import linecache
import weakref

_counter = itertools.count()
LINE_MAPS: dict = {}  # linecache name -> {generated line: (origin Location, backward?)}
KEEPER = "__adjoint_lines__"  # the namespace entry whose lifetime the entries follow


class _LinesKeeper:
    """Held by generated code's namespace; when collected, its lines are dropped."""

    def __init__(self, filename: str):
        self.filename = filename


def load(source: str, name: str, namespace: dict, origins: dict | None = None):
    """exec `source` (one def of `name`) in a fresh namespace holding `namespace`."""
    return _exec(source, name, namespace, origins)[name]


def load_module(source: str, label: str, namespace: dict, origins: dict | None = None) -> dict:
    """exec `source` (several defs) and return its namespace."""
    return _exec(source, label, namespace, origins)


def _exec(source: str, label: str, namespace: dict, origins: dict | None = None) -> dict:
    filename = f"<adjoint {label} #{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    if origins:
        LINE_MAPS[filename] = origins
    scope = dict(namespace)
    keeper = _LinesKeeper(filename)
    weakref.finalize(keeper, _forget, filename)
    scope[KEEPER] = keeper
    exec(compile(source, filename, "exec"), scope)
    return scope


def _forget(filename: str) -> None:
    linecache.cache.pop(filename, None)
    LINE_MAPS.pop(filename, None)
