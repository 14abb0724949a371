"""Complex intermediates inside a real-valued function: which values are complex, which
rules are right for them, and the real part of a gradient that flows into a real value.

Inputs are real (complex inputs are refused by the API), so complex values come only
from a few places: np.fft's transforms, np.linalg.eig and eigvals, an array converted
with a complex dtype, and global constants that are complex. `complex_vars` follows them
through the function; every operation of a complex value stays complex except those
with a real result (np.abs, np.real, np.imag, np.angle, np.fft.irfft, ...).

Convention: the gradient of a real loss L with respect to a complex z = x + iy is
dL/dx + i dL/dy. For a holomorphic f it is conj(f'(z)) times the output's gradient, so
products and quotients need their own rules (`rules.registry.complex_rule`, in
rules/complex.py); rules that are linear with
real coefficients (sums, reshapes, indexing, +, -) are right as they are. Any other rule
applied to a complex value is refused, never run with a real-only formula. Where a real
value feeds a complex result (x in np.fft.fft(x) or in x * z), its gradient is the real
part of the rule's, which the compiler adds as np.real(...).
"""
from __future__ import annotations

import builtins
import operator

import numpy as np

from .. import ir
from ..errors import MissingRule
from ..rules.registry import COMPLEX_RULES, display_name
from .activity import primal_key

_FFT = ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "rfft2", "rfftn")
COMPLEX_RESULT = {getattr(np.fft, name) for name in _FFT} | {np.linalg.eig, np.linalg.eigvals}
REAL_RESULT = {np.abs, builtins.abs, np.real, np.imag, np.angle, ".real", ".imag",
               np.fft.irfft, np.fft.irfft2, np.fft.irfftn}
# rules whose formula is right for complex values as written (linear with real coefficients,
# or written for them: abs uses np.sign(z) = z / |z|)
COMPLEX_SAFE = {operator.add, operator.sub, operator.neg, operator.pos, operator.getitem,
                np.add, np.subtract, np.negative, np.positive, np.sum, np.mean, np.cumsum,
                np.reshape, np.ravel, np.transpose, np.swapaxes, np.moveaxis, np.squeeze,
                np.expand_dims, np.concatenate, np.stack, np.hstack, np.vstack, np.flip,
                np.roll, np.copy, np.asarray, np.array, np.diff, np.trace, np.diagonal,
                ".T", np.abs, builtins.abs, np.conjugate} \
    | COMPLEX_RESULT | REAL_RESULT | {np.fft.fftshift, np.fft.ifftshift, np.real_if_close,
                                      getattr(np, "astype", np.asarray)}
REAL_PART = ir.Ref("np", np, ("real",), np.real)


def _is_complex_object(value) -> bool:
    if isinstance(value, str):  # a dtype name; other strings (modes, subscripts) are not
        return "complex" in value
    if isinstance(value, (type, np.dtype)):
        try:
            return np.issubdtype(np.dtype(value), np.complexfloating)
        except TypeError:
            return False
    return isinstance(value, (complex, np.ndarray, np.complexfloating)) and np.iscomplexobj(value)


def _reads_complex(expr, found: set) -> bool:
    if isinstance(expr, ir.Var):
        return expr in found
    if isinstance(expr, (ir.Ref, ir.Const)):
        return _is_complex_object(expr.value)
    return any(_reads_complex(child, found) for child in ir.children(expr))


def _makes_complex(value, found: set) -> bool:
    key = primal_key(value)
    try:
        if key in COMPLEX_RESULT:
            return True
        if key in REAL_RESULT:
            return False
    except TypeError:  # an unhashable callable
        pass
    operands = ir.children(value)[1:] if isinstance(value, ir.Call) else ir.children(value)
    return any(_reads_complex(e, found) for e in operands)


def complex_vars(body) -> set:
    """The variables that may hold complex values (a fixed point, for loops)."""
    found: set = set()
    changed = True
    while changed:
        changed = False
        for stmt in ir.walk(body):
            if isinstance(stmt, ir.SetItem) and stmt.target not in found \
                    and _reads_complex(stmt.value, found):
                found.add(stmt.target)
                changed = True
            elif isinstance(stmt, ir.Assign) and _makes_complex(stmt.value, found):
                new = set(ir.targets(stmt)) - found
                if new:
                    found |= new
                    changed = True
    return found


def involves_complex(stmt, found: set) -> bool:
    return any(t in found for t in ir.targets(stmt)) or _reads_complex(stmt.value, found)


def complex_rule_for(stmt, found: set):
    """The rule for a statement on complex values: its complex rule, or its own rule
    where that is right for them, or None (the statement needs no complex handling)."""
    if not involves_complex(stmt, found):
        return None
    key = primal_key(stmt.value)
    try:
        if key in COMPLEX_RULES:
            return COMPLEX_RULES[key]
        if key in COMPLEX_SAFE:
            return None
    except TypeError:
        pass
    name = display_name(key) if key is not None else "this operation"
    raise MissingRule.at(stmt.origin, f"{name} of a complex value: its gradient rule is for "
                         "real values", "take np.real, np.imag or np.abs of the complex value "
                         "first, or register a rule with adjoint.rules.registry.complex_rule")
