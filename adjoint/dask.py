"""Data-parallel gradients on Dask: each chunk of the batch where it lives, then a tree sum.

    step = adjoint.dask.value_and_grad(loss, wrt=("W1", "b1"), batch=("X", "y"), reduce="mean")
    value, (gW1, gb1) = step(W1, b1, X, y)        # X, y: dask arrays chunked along axis 0

The batch arrays must be chunked along axis 0 only, with the same row chunks. Per call,
the other arguments (the parameters) go to the workers once (`Client.scatter`, broadcast);
each chunk's rows are fed to the compiled gradient on the worker that holds them; the
chunks' values and gradients are combined pairwise in a tree (weighted by the chunk's rows
for "mean"), so the numbers are those of the gradient on the concatenated data.

Gradient functions hold the user's module namespace and do not pickle: what travels is the
user's function itself (by reference, or by value for a script's __main__), and each worker
process compiles it once and caches the result. With no dask.distributed Client running, the
same graph runs on dask's local scheduler (threads).
"""
from __future__ import annotations

import inspect

import numpy as np

try:
    import dask
except ImportError as error:  # (adjoint.dask is imported only by those who use it)
    raise ImportError("adjoint.dask needs dask: pip install 'adjoint[dask]'") from error
try:
    from distributed import get_client
except ImportError:  # dask alone: the local scheduler runs the chunks
    get_client = None

from . import api
from .errors import BadArguments

REDUCTIONS = ("mean", "sum")
_COMPILED: dict = {}  # (module, name, code, wrt) -> value_and_grad, one per worker process


def value_and_grad(func, wrt=None, *, batch, reduce: str = "mean"):
    """A function with `func`'s parameters returning (value, gradients), computed chunk by
    chunk over the `batch` parameters (dask arrays chunked along axis 0)."""
    params = list(inspect.signature(func).parameters)
    batch = (batch,) if isinstance(batch, str) else tuple(batch)
    unknown = [name for name in batch if name not in params]
    if unknown or not batch:
        raise BadArguments(f"batch names {', '.join(map(repr, unknown)) or 'nothing'}: it must name "
                           f"parameters of {func.__name__} ({', '.join(params)})")
    if reduce not in REDUCTIONS:
        raise BadArguments(f"reduce is 'mean' or 'sum'; got {reduce!r}")
    api.value_and_grad(func, wrt)  # refuse a bad wrt (or an undifferentiable func) now, here

    def run(*args, **kwargs):
        bound = inspect.signature(func).bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        chunks = _row_chunks({name: values[name] for name in batch})
        shared = {name: value for name, value in values.items() if name not in batch}
        client = _current_client()
        if client is not None:  # the parameters travel once per call, to every worker
            # (hash=False: equal values of two calls must not share, and so lose, one key)
            shared = dict(zip(shared, client.scatter(list(shared.values()), broadcast=True, hash=False)))
        leaves = [dask.delayed(_chunk)(func, wrt, reduce, params, shared,
                                       {name: blocks[k] for name, blocks in chunks.items()})
                  for k in range(len(next(iter(chunks.values()))))]
        total = _tree(leaves)
        rows, value, grads = (client.compute(total).result() if client is not None
                              else dask.compute(total)[0])
        if reduce == "mean":
            value, grads = value / rows, _scale(grads, 1.0 / rows)
        return value, grads
    run.__name__ = f"dask_value_and_grad_{func.__name__}"
    return run


def _current_client():
    if get_client is None:
        return None
    try:
        return get_client()
    except ValueError:  # no Client running: dask's local scheduler
        return None


def _row_chunks(arrays: dict) -> dict:
    """name -> the delayed row blocks of each batch array, after checking they line up."""
    rows = None
    out = {}
    for name, array in arrays.items():
        if not hasattr(array, "to_delayed") or not hasattr(array, "chunks"):
            raise BadArguments(f"batch argument {name} is a {type(array).__name__}: pass a dask "
                               "array chunked along axis 0 (dask.array.from_array(x, chunks=(n, ...)))")
        if any(len(c) != 1 for c in array.chunks[1:]):
            array = array.rechunk({axis: -1 for axis in range(1, array.ndim)})
        if rows is None:
            rows, first = array.chunks[0], name
        elif array.chunks[0] != rows:
            raise BadArguments(f"batch arguments {first} and {name} are chunked differently along "
                               f"axis 0 ({rows} and {array.chunks[0]}): rechunk them alike, e.g. "
                               f"{name}.rechunk({{0: {first}.chunks[0]}})")
        out[name] = array.to_delayed().reshape(-1)
    return out


def _chunk(func, wrt, reduce, params, shared: dict, rows: dict):
    """On a worker: (rows, value, gradients) of one chunk, weighted by its rows for a mean."""
    # by its code, not its identity: a script's function arrives as a new object each call
    key = (func.__module__, func.__qualname__, func.__code__, tuple(wrt) if isinstance(wrt, list) else wrt)
    step = _COMPILED.get(key)
    if step is None:
        step = _COMPILED[key] = api.value_and_grad(func, wrt)
    arguments = [rows[name] if name in rows else shared[name] for name in params]
    value, grads = step(*arguments)
    n = len(next(iter(rows.values())))
    if reduce == "mean":
        return n, value * n, _scale(grads, float(n))
    return n, value, grads


def _tree(parts: list):
    """Pairwise sums of (rows, value, gradients), in a balanced tree of delayed tasks."""
    while len(parts) > 1:
        parts = [dask.delayed(_add_parts)(*parts[k:k + 2]) if k + 1 < len(parts) else parts[k]
                 for k in range(0, len(parts), 2)]
    return parts[0]


def _add_parts(a, b):
    return a[0] + b[0], a[1] + b[1], _add(a[2], b[2])


def _add(a, b):
    """Gradients added entry by entry, keeping their structure (tuple, list, dict, array)."""
    if isinstance(a, dict):
        return {key: _add(a[key], b[key]) for key in a}
    if isinstance(a, (tuple, list)):
        return type(a)(_add(x, y) for x, y in zip(a, b))
    return np.add(a, b)


def _scale(g, factor: float):
    if isinstance(g, dict):
        return {key: _scale(value, factor) for key, value in g.items()}
    if isinstance(g, (tuple, list)):
        return type(g)(_scale(value, factor) for value in g)
    return g * factor
