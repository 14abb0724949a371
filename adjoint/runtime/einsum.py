"""Helpers for np.einsum in every form: the subscripts string with or without '...' and
'->', any number of operands, and the sublist form np.einsum(a, [0, 1], b, [1, 2], [0, 2]).

`einsum_grads(g, operands)` takes the call's positional arguments as one tuple and
returns one gradient per entry (None for the subscripts and the sublists). Each form is
first rewritten as an explicit subscripts string without '...', then each array's
gradient is linalg.einsum_grad's contraction of g with the other operands. An operand
broadcast along an ellipsis axis (size 1 against n) gets its gradient summed back.
Used by adjoint/rules/linalg.py.
"""
from __future__ import annotations

import string

import numpy as np

from ..errors import AdjointError
from .linalg import einsum_grad

LETTERS = string.ascii_letters


def _sublist_text(sublist) -> str:
    """[0, 1, Ellipsis] -> 'ab...' (the sublist form's integer labels as letters)."""
    return "".join("..." if label is Ellipsis else LETTERS[int(label)] for label in sublist)


def explicit_form(operands) -> tuple[str, list, list]:
    """(subscripts without '...' and with '->', the arrays, their positions in operands)."""
    if isinstance(operands[0], str):
        text, positions = operands[0].replace(" ", ""), list(range(1, len(operands)))
    else:  # a, [0, 1], b, [1, 2] (, [0, 2]): arrays and sublists alternate
        positions = list(range(0, len(operands) - 1, 2))
        text = ",".join(_sublist_text(operands[k + 1]) for k in positions)
        if len(operands) % 2:
            text += "->" + _sublist_text(operands[-1])
    arrays = [operands[k] for k in positions]
    inputs, arrow, output = text.partition("->")
    inputs = inputs.split(",")
    if len(inputs) != len(arrays):
        raise AdjointError(f"einsum subscripts {text!r} name {len(inputs)} operands; got {len(arrays)}")
    if not arrow:  # implicit output: '...' first, then the letters seen once, sorted
        letters = "".join(inputs).replace(".", "")
        output = ("..." if any("..." in s for s in inputs) else "") + \
            "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    inputs, output = _expand_ellipsis(inputs, output, arrays)
    return ",".join(inputs) + "->" + output, arrays, positions


def _expand_ellipsis(inputs, output, arrays):
    """Replace '...' by unused letters, right-aligned across operands as numpy does."""
    counts = [np.ndim(a) - (len(s) - 3) if "..." in s else 0 for s, a in zip(inputs, arrays)]
    width = max(counts, default=0)
    used = set("".join(inputs) + output)
    spare = [c for c in LETTERS if c not in used][:width]
    fill = "".join(spare)
    inputs = [s.replace("...", fill[width - n:]) for s, n in zip(inputs, counts)]
    return inputs, output.replace("...", fill)


def _broadcast_sizes(spec: str, arrays) -> dict:
    """Each index letter's size: size 1 broadcasts against any other, 0 included (so not
    the largest: (1, 2, 3) against (0, 3, 4) along '...' is 0)."""
    sizes: dict = {}
    for part, array in zip(spec.split("->")[0].split(","), arrays):
        for letter, size in zip(part, np.shape(array)):
            if sizes.get(letter, 1) == 1:
                sizes[letter] = size
    return sizes


def einsum_grads(g, operands) -> tuple:
    """Gradients of np.einsum(*operands), one per positional argument (None for the
    subscripts string and the sublists)."""
    spec, arrays, positions = explicit_form(tuple(operands))
    sizes = _broadcast_sizes(spec, arrays)
    parts = spec.split("->")[0].split(",")
    grads = [None] * len(operands)
    for k, (part, array) in enumerate(zip(parts, arrays)):
        full = [sizes[c] for c in part]
        if list(np.shape(array)) == full:
            grads[positions[k]] = einsum_grad(g, spec, arrays, k)
            continue
        widened = list(arrays)
        widened[k] = np.broadcast_to(array, full)
        grad = einsum_grad(g, spec, widened, k)
        summed = tuple(axis for axis, size in enumerate(np.shape(array)) if size != full[axis])
        grads[positions[k]] = np.sum(grad, axis=summed, keepdims=True)
    return tuple(grads)
