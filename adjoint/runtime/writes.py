"""Helpers for code that writes into arrays: what a write's value contributed, copies of
parameters written into, and the checks on writes numpy would not make where they seem to.
"""
from __future__ import annotations

import numbers

import numpy as np

from ..errors import UnsupportedSyntax


def assigned_part(g, index):
    """g[index], with zeros where numpy's x[index] = v let a later entry of v win: with a
    repeated index (x[[0, 0]] = v) only the last write lands, so only it gets gradient."""
    part = g[index]
    if np.ndim(part) == 0 or not _has_index_array(index):
        return part
    order = np.arange(part.size).reshape(part.shape)
    last = np.full(np.shape(g), -1)
    last[index] = order  # numpy picks the winner of each repeated entry, as it did in x
    return np.where(last[index] == order, part, 0.0)


def _has_index_array(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (list, np.ndarray)) and np.asarray(p).dtype.kind in "iu" for p in parts)


def copied(x):
    """A parameter the function writes into, copied so the caller's value never changes:
    arrays copied, tuples, lists and dicts rebuilt around copies of what they hold."""
    if isinstance(x, np.ndarray) or hasattr(type(x), "__array_function__") and hasattr(x, "copy"):
        return x.copy()  # (numpy's, or an array numpy dispatches to: dask, CuPy)
    if isinstance(x, dict):
        return {key: copied(value) for key, value in x.items()}
    if isinstance(x, (list, tuple)) and type(x) in (list, tuple):
        return type(x)(copied(item) for item in x)
    return x


class Absent:
    """What a dict held under a key it did not have (`d['new'] = v` adds the key)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = Absent()


def overwritten_entries(x, index):
    """What x[index] = v overwrites, kept for the backward to put back: a copy of an
    array's entries; a dict's or list's entry itself (rebound, not written into); ABSENT
    for a key the dict lacks."""
    if isinstance(x, dict):
        return x.get(index, ABSENT)
    if isinstance(x, list):
        return x[index]
    return np.copy(x[index])


def put_back(x, index, old) -> None:
    """Undo x[index] = v: the entries as they were, or the key removed again."""
    if old is ABSENT:
        del x[index]
    else:
        x[index] = old


def written_through(array, part, text: str):
    """array[i][j] = v writes v into array only when array[i] is a view of array (or the
    entry of a list or dict); with an index array, array[i] is a copy and numpy leaves
    array unchanged, which the gradient would not know: refused when it happens."""
    if isinstance(array, np.ndarray) and not (isinstance(part, np.ndarray)
                                              and np.may_share_memory(array, part)):
        raise UnsupportedSyntax(f"{text}: the inner subscript makes a copy (an index array "
                                "or mask), so numpy writes into that copy and the array does "
                                "not change; write one subscript with every index instead: "
                                "x[i, j] = v")
    return None


def added_at(a, indices, b):
    """np.add.at(a, indices, b) on a copy of a: b added at indices, repeats adding up."""
    out = np.array(a, dtype=np.result_type(a, b))
    np.add.at(out, indices, b)
    return out


def diagonal_index(a):
    """The index np.fill_diagonal(a, v) writes (without wrap): (r, r, ...) for r over the
    diagonal."""
    if np.ndim(a) < 2 or np.ndim(a) > 2 and len(set(np.shape(a))) != 1:
        raise ValueError("np.fill_diagonal needs a 2-d array or one whose sides are all equal")
    r = np.arange(min(np.shape(a)))
    return (r,) * np.ndim(a)


def entry_copy(value, text: str):
    """x[i] read after a write into x is fine when it is an entry (a copy, x 1-d); when x
    has more axes it is a view that sees the write, which the gradient would not follow."""
    if isinstance(value, np.ndarray) and value.ndim:
        raise UnsupportedSyntax(f"{text}: this reads an array that another name also holds "
                                "(a row of a 2-d array, or an item of a list), and a later "
                                "in-place write changes it for both; read it after the write, "
                                "copy it here (np.copy(...)) if the other name must not see the "
                                "write, or rebind instead of writing in place "
                                "(parts[k] = parts[k] + v, not p += v)")
    return None


def number_updated(value, text: str):
    """x op= v where x is a number rebinds x and writes nothing: what adjoint compiled,
    having found another name that would see the write were x an array."""
    if not isinstance(value, (numbers.Number, np.generic)):
        raise UnsupportedSyntax(f"{text}: adjoint compiled this update for a number, but it "
                                f"updates a {type(value).__name__} in place, whose memory "
                                "another name shares and reads after\n  fix: write x = x + ... "
                                "to make a new value (in a helper: return it and assign what "
                                "it returns), or copy the array first (np.copy(...))")
    return None


def array_updated(value, text: str):
    """x op= v compiled as the in-place write x[...] = x op v (another name sees it):
    right when x is an array, as numpy updates one."""
    if not isinstance(value, np.ndarray):
        raise UnsupportedSyntax(f"{text}: adjoint compiled this update as a write into an "
                                f"array, but it updates a {type(value).__name__}; write "
                                "x = x + ... to make a new value")
    return None


def is_view(value) -> bool:
    """x[i] is a view of x (a row of an array with more axes), not a copy of one entry."""
    return isinstance(value, np.ndarray) and value.ndim > 0
