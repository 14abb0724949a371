"""Debugging generated code: where an error in it comes from, and where a nan appears.

Input: the line maps the loader keeps (`loader.LINE_MAPS`: generated line -> the user's
statement it was printed for). Output, at run time only:

* `note_origin(error)`: a gradient's entry calls it on an exception leaving generated code;
  it adds a note (Python 3.11+ `add_note`) naming the user's file, line and statement the
  failing generated line comes from, keeping the generated traceback as it is:

      File "<adjoint grad_f #3>", line 9, in grad_f
        grad_x = inv(s0) ...
      LinAlgError: Singular matrix
      adjoint: generated line 9 of <adjoint grad_f #3> (forward of model.py:12):
          y = np.linalg.inv(A)

* `check_finite(*values)`: with `check_finite=True`, generated code calls it after each
  backward assignment (`grad_s0 = ...; check_finite(grad_s0)`); it costs one call and
  one `isfinite` per value, and raises `NonFiniteGradient` naming the gradient, the
  generated line, the user's line and the values the line read.
"""
from __future__ import annotations

import ast
import linecache
import math
import os
import sys

import numpy as np

from ..errors import AdjointError, InternalError, NonFiniteGradient, Problem
from ..loader import LINE_MAPS

ENV_CHECK_FINITE = "ADJOINT_CHECK_FINITE"
HAS_ADD_NOTE = hasattr(BaseException, "add_note")  # Python 3.11+


def check_finite_default() -> bool:
    """ADJOINT_CHECK_FINITE=1 (or true/yes/on) turns finite checks on for every gradient."""
    return os.environ.get(ENV_CHECK_FINITE, "").strip().lower() in ("1", "true", "yes", "on")


# finite checks --------------------------------------------------------------------------
def check_finite(*values) -> None:
    """Raise NonFiniteGradient if a value just assigned holds nan or inf."""
    for value in values:
        if not _finite(value):
            raise _non_finite(sys._getframe(1)) from None


def _finite(value) -> bool:
    if isinstance(value, float):  # also np.float64
        return math.isfinite(value)
    if type(value) is np.ndarray:
        return value.dtype.kind not in "fc" or bool(np.isfinite(value).all())
    if isinstance(value, (np.floating, np.complexfloating, complex)):
        return bool(np.isfinite(value))
    if isinstance(value, (tuple, list)):
        return all(map(_finite, value))
    if isinstance(value, dict):
        return all(map(_finite, value.values()))
    return True  # ints, None, objects: nothing to check


def _non_finite(frame) -> NonFiniteGradient:
    """The error for the assignment on the caller's current line."""
    filename, line = frame.f_code.co_filename, frame.f_lineno
    text = linecache.getline(filename, line).strip()
    targets, operands = _names_of(text)
    origin, backward = LINE_MAPS.get(filename, {}).get(line, (None, True))
    local = frame.f_locals
    bad = [n for n in targets if n in local and not _finite(local[n])] or targets
    values = [f"    {n} = {summarize(local[n])}" for n in bad if n in local]
    for name in operands:
        if name in local and name not in targets:
            values.append(f"    {name} = {summarize(local[name])}")
        elif name in targets:
            values.append(f"    {name} (before this line) = overwritten, not kept")
    part = "backward" if backward else "forward"
    what = (f"{', '.join(bad)} is not finite, in the {part} of this line"
            if origin else f"{', '.join(bad)} is not finite")
    problem = Problem(origin, what)
    message = "\n".join([problem.render(), f"  generated code, {filename} line {line}:",
                         f"    {text}", "  values:"] + values)
    error = NonFiniteGradient(message, (problem,))
    error.variables, error.generated, error.origin = tuple(bad), (filename, line, text), origin
    error.values = {n: local[n] for n in bad + [n for n in operands if n not in targets]
                    if n in local}  # the culprit and what its line read
    return error


def _names_of(text: str):
    """(assigned names, names read) of the generated assignment `text`."""
    try:
        node = ast.parse(text).body[0]
    except (SyntaxError, IndexError):
        return [], []
    if not isinstance(node, ast.Assign):
        return [], []
    targets = [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    read = []
    for n in ast.walk(node.value):
        if isinstance(n, ast.Name) and n.id not in read:
            read.append(n.id)
    return targets, read


def summarize(value, depth: int = 0) -> str:
    """A short description: shape, dtype, how many nan/inf, a few entries."""
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        array = np.asarray(value)
        head = f"array{array.shape} {array.dtype}" if array.ndim else f"{array.dtype} {array.item()!r}"
        if array.dtype.kind not in "fc":
            return head if not array.ndim else f"{head}: {_entries(array.ravel())}"
        nan, inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
        counts = ", ".join(part for part in (f"{nan} nan" if nan else "", f"{inf} inf" if inf else "")
                           if part) or "all finite"
        if not array.ndim:
            return f"{head}" + ("" if counts == "all finite" else " (not finite)")
        flat = array.ravel()
        if nan or inf:
            where = np.flatnonzero(~np.isfinite(flat))[:4]
            shown = ", ".join(f"[{_index(k, array.shape)}]={flat[k].item()!r}" for k in where)
            return f"{head}, {counts} of {array.size}; e.g. {shown}"
        return f"{head}, {counts}; first entries {_entries(flat)}"
    if isinstance(value, float):
        return f"{value!r}" + ("" if math.isfinite(value) else " (not finite)")
    if isinstance(value, (tuple, list)) and depth < 1:
        items = ", ".join(summarize(v, depth + 1) for v in value[:3])
        more = ", ..." if len(value) > 3 else ""
        return f"{type(value).__name__} of {len(value)}: ({items}{more})"
    if isinstance(value, dict) and depth < 1:
        items = ", ".join(f"{k!r}: {summarize(v, depth + 1)}" for k, v in list(value.items())[:3])
        return f"dict of {len(value)}: {{{items}}}"
    text = repr(value)
    return text if len(text) <= 60 else f"{type(value).__name__} {text[:57]}..."


def _entries(flat, shown: int = 4) -> str:
    return "[" + ", ".join(repr(v.item()) for v in flat[:shown]) + (", ...]" if flat.size > shown else "]")


def _index(k: int, shape: tuple) -> str:
    return ", ".join(str(int(i)) for i in np.unravel_index(k, shape))


# notes on exceptions ------------------------------------------------------------------
def note_origin(error: BaseException) -> None:
    """Add to `error` a note naming the user's line its failing generated line comes from."""
    if isinstance(error, NonFiniteGradient) or getattr(error, "_adjoint_noted", False):
        return
    try:
        note = _note(error)
    except Exception:  # never let a note hide the error it is about
        return
    if note:
        _add_note(error, note)


def _note(error: BaseException) -> str:
    frames = []  # (filename, line, origin, backward), outermost first
    tb = error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        entry = LINE_MAPS.get(filename, {}).get(tb.tb_lineno)
        if entry is not None:
            frames.append((filename, tb.tb_lineno) + tuple(entry))
        tb = tb.tb_next
    if not frames:
        return ""
    filename, line, origin, backward = frames[-1]
    lines = [f"adjoint: generated line {line} of {filename} "
             f"({'backward' if backward else 'forward'} of {origin.filename}:{origin.line}):",
             f"    {origin.text.strip()}"]
    for filename, line, origin, backward in reversed(frames[:-1]):
        lines.append(f"  called from generated line {line} of {filename} "
                     f"({origin.filename}:{origin.line}): {origin.text.strip()}")
    return "\n".join(lines)


def _add_note(error: BaseException, note: str) -> None:
    try:
        error._adjoint_noted = True
    except AttributeError:  # an exception type without a __dict__: leave it alone
        return
    if HAS_ADD_NOTE:
        error.add_note(note)
        return
    # Python 3.10: keep the note where 3.11 would (printed by exceptiongroup's backport and
    # pytest), and, for adjoint's own errors, in the message too
    error.__notes__ = list(getattr(error, "__notes__", ())) + [note]
    if isinstance(error, AdjointError) and error.args:
        error.args = (f"{error.args[0]}\n{note}",) + tuple(error.args[1:])


# Exceptions that mean a mistake in code, not values no gradient exists for (a singular
# matrix, an overflow).
_PROGRAMMING_ERRORS = (TypeError, ValueError, AttributeError, IndexError, KeyError, NameError)
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def internal_error(error: BaseException) -> InternalError | None:
    """An InternalError naming the user's line for an exception raised inside one of
    adjoint's helpers while a BACKWARD line ran (the forward ran the user's operations on
    the same values, so the fault is adjoint's); None for anything else (the forward's
    errors, a user's own rule, a singular matrix), which is raised as it is."""
    if isinstance(error, (AdjointError, np.linalg.LinAlgError)) or \
            not isinstance(error, _PROGRAMMING_ERRORS):
        return None
    last, backward, tb = None, False, error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        generated = LINE_MAPS.get(filename, {}).get(tb.tb_lineno)
        if generated is not None:
            backward = bool(generated[1])
        if generated is not None or filename.startswith(_PACKAGE) or not _is_library(filename):
            last = filename
        tb = tb.tb_next
    if not backward or last is None or not last.startswith(_PACKAGE):
        return None
    return InternalError(f"internal error in adjoint while running a gradient: "
                         f"{type(error).__name__}: {error}\n{_note(error)}\nThis is a bug in "
                         "adjoint, not in your code; please report it with the function.")


def _is_library(filename: str) -> bool:
    """numpy's, the standard library's, or an installed package's file."""
    return filename.startswith("<") or "site-packages" in filename or \
        filename.startswith(os.path.dirname(os.__file__))
