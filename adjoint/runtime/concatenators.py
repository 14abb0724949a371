"""Helpers for numpy's indexing objects np.r_ and np.c_ (np.r_[a, 0:3, b]), whose
result is a concatenation of their items: each entry of the result comes from exactly
one entry of one item (or from a constant: a slice, a directive string).

The gradient labels every entry of every item with its own number, builds the same
concatenation of the labels, and sends each entry of g back to the entry whose label
landed there. So every directive ('r', 'c', '0,2,1', ndmin, transposes) is handled by
numpy itself, never re-implemented here. Used by adjoint/rules/arrays.py.
"""
from __future__ import annotations

import numpy as np

from .core import float_dtype


def _labelled(items):
    """Each array item replaced by consecutive labels 1, 2, ... (0 for constants)."""
    labelled, spans, start = [], [], 1
    for item in items:
        if isinstance(item, (str, slice)):
            labelled.append(item if isinstance(item, str) else np.zeros_like(np.r_[item]))
            spans.append(None)
            continue
        shape = np.shape(item)
        size = int(np.prod(shape, dtype=int))
        labelled.append(np.reshape(np.arange(start, start + size, dtype=np.float64), shape))
        spans.append((start, shape))
        start += size
    return labelled, spans, start


def concatenated_grads(g, concatenator, index):
    """Gradients of concatenator[index] (np.r_ or np.c_): one per item of the index
    tuple (None for slices and directive strings), or one for a single item."""
    items = index if isinstance(index, tuple) else (index,)
    labelled, spans, total = _labelled(items)
    labels = np.asarray(concatenator[tuple(labelled)]).astype(np.int64)
    flat = np.zeros(total, dtype=np.result_type(g, np.float32))
    np.add.at(flat, np.ravel(labels), np.ravel(g))
    grads = []
    for item, span in zip(items, spans):
        if span is None:
            grads.append(None)
            continue
        start, shape = span
        grad = np.reshape(flat[start:start + int(np.prod(shape, dtype=int))], shape)
        grads.append(grad.astype(float_dtype(item)) if shape else float(grad))
    return tuple(grads) if isinstance(index, tuple) else grads[0]
