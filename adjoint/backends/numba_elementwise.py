"""One operator or numpy ufunc on arrays, as a helper numba caches on disk: what the
numba backend's gradients compute their array arithmetic with (numba_calls.py).

numba fuses `g * (1 - h * h)` on arrays into one loop written into the function that
contains it, and LLVM then optimises, vectorises and generates machine code for that
loop, with its broadcasting cases, on every first call of every gradient (measured:
half a second for a 50-step RNN's gradient). The gradients instead compute such an
expression one operation at a time, each through the helper below for the operands'
types: numba compiles that helper once per set of types and keeps it on disk, so a new
gradient only calls code that exists. Each operation is the one numba's fused loop
does on each entry, so the numbers do not change.

`out` is None, or a temporary of the same expression (an operand numba_calls.py holds
the only reference to): the helper (a binary operation's `_into` version, see INTO)
then writes the result there when it has the result's shape, so an expression allocates one array, as the fused loop does (a new
array per operation made glibc's allocator return and re-fault its pages each call:
2.5x slower on the MLP benchmark).
"""
from __future__ import annotations

import operator
from typing import NamedTuple

import numba
import numpy as np
from numba import njit, types
from numba.core import ir
from numba.core.errors import NumbaError
from numba.cpython.unsafe.tuple import tuple_setitem

from .numba_cache import NJIT


@njit(**NJIT)
def fits(x, out) -> bool:
    """Whether x (an array or a number) broadcasts to out's shape."""
    shape, target = np.shape(x), out.shape
    lead = len(target) - len(shape)
    if lead < 0:
        return False
    for axis in range(len(shape)):
        if shape[axis] != 1 and shape[axis] != target[lead + axis]:
            return False
    return True


@njit(**NJIT)
def target(a, b, out):
    """Where a binary operation's _into version writes: out when a and b broadcast to its
    shape, else a new array of out's type with the shape of a op b."""
    if fits(a, out) and fits(b, out):
        return out
    shape, first, second = out.shape, np.shape(a), np.shape(b)
    for axis in range(len(shape)):  # numpy's rule: the size that is not 1, else 1
        size, k = 1, axis - (len(shape) - len(first))
        if k >= 0 and first[k] != 1:
            size = first[k]
        k = axis - (len(shape) - len(second))
        if k >= 0 and second[k] != 1:
            if size != 1 and size != second[k]:  # numba's ufunc would not check this
                raise ValueError("operands could not be broadcast together")
            size = second[k]
        shape = tuple_setitem(shape, axis, size)
    return np.empty(shape, out.dtype)


@njit(**NJIT)
def add(a, b, out):
    return a + b


@njit(**NJIT)
def add_into(a, b, out):
    return np.add(a, b, target(a, b, out))


@njit(**NJIT)
def sub(a, b, out):
    return a - b


@njit(**NJIT)
def sub_into(a, b, out):
    return np.subtract(a, b, target(a, b, out))


@njit(**NJIT)
def mul(a, b, out):
    return a * b


@njit(**NJIT)
def mul_into(a, b, out):
    return np.multiply(a, b, target(a, b, out))


@njit(**NJIT)
def truediv(a, b, out):
    return a / b


@njit(**NJIT)
def truediv_into(a, b, out):
    return np.true_divide(a, b, target(a, b, out))


@njit(**NJIT)
def floordiv(a, b, out):
    return a // b


@njit(**NJIT)
def floordiv_into(a, b, out):
    return np.floor_divide(a, b, target(a, b, out))


@njit(**NJIT)
def mod(a, b, out):
    return a % b


@njit(**NJIT)
def mod_into(a, b, out):
    return np.remainder(a, b, target(a, b, out))


@njit(**NJIT)
def power(a, b, out):
    return a ** b


@njit(**NJIT)
def power_into(a, b, out):
    return np.power(a, b, target(a, b, out))


@njit(**NJIT)
def eq(a, b, out):
    return a == b


@njit(**NJIT)
def eq_into(a, b, out):
    return np.equal(a, b, target(a, b, out))


@njit(**NJIT)
def ne(a, b, out):
    return a != b


@njit(**NJIT)
def ne_into(a, b, out):
    return np.not_equal(a, b, target(a, b, out))


@njit(**NJIT)
def lt(a, b, out):
    return a < b


@njit(**NJIT)
def lt_into(a, b, out):
    return np.less(a, b, target(a, b, out))


@njit(**NJIT)
def le(a, b, out):
    return a <= b


@njit(**NJIT)
def le_into(a, b, out):
    return np.less_equal(a, b, target(a, b, out))


@njit(**NJIT)
def gt(a, b, out):
    return a > b


@njit(**NJIT)
def gt_into(a, b, out):
    return np.greater(a, b, target(a, b, out))


@njit(**NJIT)
def ge(a, b, out):
    return a >= b


@njit(**NJIT)
def ge_into(a, b, out):
    return np.greater_equal(a, b, target(a, b, out))


@njit(**NJIT)
def maximum(a, b, out):
    return np.maximum(a, b)


@njit(**NJIT)
def maximum_into(a, b, out):
    return np.maximum(a, b, target(a, b, out))


@njit(**NJIT)
def minimum(a, b, out):
    return np.minimum(a, b)


@njit(**NJIT)
def minimum_into(a, b, out):
    return np.minimum(a, b, target(a, b, out))


@njit(**NJIT)
def neg(a, out):
    if out is not None:  # out has a's shape
        return np.negative(a, out)
    return -a


@njit(**NJIT)
def pos(a, out):
    if out is not None:  # out has a's shape
        return np.positive(a, out)
    return +a


@njit(**NJIT)
def sqrt(a, out):
    if out is not None:  # out has a's shape
        return np.sqrt(a, out)
    return np.sqrt(a)


@njit(**NJIT)
def absolute(a, out):
    if out is not None:  # out has a's shape
        return np.absolute(a, out)
    return np.abs(a)


@njit(**NJIT)
def sign(a, out):
    if out is not None:  # out has a's shape
        return np.sign(a, out)
    return np.sign(a)


HELPERS = {
    operator.add: add, operator.sub: sub, operator.mul: mul, operator.truediv: truediv,
    operator.floordiv: floordiv, operator.mod: mod, operator.pow: power,
    operator.eq: eq, operator.ne: ne, operator.lt: lt, operator.le: le,
    operator.gt: gt, operator.ge: ge, np.maximum: maximum, np.minimum: minimum,
    operator.neg: neg, operator.pos: pos, np.sqrt: sqrt, np.absolute: absolute, np.sign: sign,
}
"""The helper for each operator or ufunc numba puts in an array expression; an
expression with any other (a bitwise operator, another ufunc) keeps numba's fused loop."""

INTO = {helper: helper for helper in (neg, pos, sqrt, absolute, sign)}  # out: a's shape
INTO.update({add: add_into, sub: sub_into, mul: mul_into, truediv: truediv_into,
             floordiv: floordiv_into, mod: mod_into, power: power_into, eq: eq_into,
             ne: ne_into, lt: lt_into, le: le_into, gt: gt_into, ge: ge_into,
             maximum: maximum_into, minimum: minimum_into})
"""The version of each helper that writes into `out` (a temporary): a binary one only
where the result fits there, else into a new array (target). One numpy ufunc call
either way: numba writes a ufunc's loop into every function that calls it, so calling
the out=None helper instead (as before) compiled the operation a second time in here
(measured on a cold cache: mul_into on two 2-d arrays 0.73 -> 0.48 s)."""


# planning an array expression ------------------------------------------------------------
class Operand(NamedTuple):
    """An operand of a step: a variable (what: its name), a constant (what: its value) or
    an earlier step's result (what: the step's index); type: its numba type."""
    kind: str
    what: object
    type: object


class Step(NamedTuple):
    """One operation: `compiled` (a helper's compile result) on `operands`, writing into
    the result of step `out` (a temporary no later step reads) or, with None, into a new
    array; type: the result's numba type."""
    compiled: object
    operands: tuple
    out: int | None
    type: object


class _NoHelper(Exception):
    pass


def plan(tree, typeof) -> list | None:
    """The steps computing numba's array expression `tree` one operation at a time (the
    last step's result is the expression's), or None where an operation or operand has no
    helper here. A step writes into a dead temporary of its result's type when there is
    one; never into one of its own operands (LLVM's loop would then not vectorise)."""
    steps, spare = [], []  # spare: indices of steps whose results are no longer read

    def operand(node) -> Operand:
        if isinstance(node, ir.Var):
            kind = typeof(node.name)
            if isinstance(kind, types.Optional):
                raise _NoHelper
            return Operand("var", node.name, types.unliteral(kind))
        if isinstance(node, ir.Const):
            kind = types.unliteral(numba.typeof(node.value))
            if not isinstance(kind, (types.Number, types.Boolean)):
                raise _NoHelper
            return Operand("const", node.value, kind)
        op, operands = node
        if op not in HELPERS:
            raise _NoHelper
        args = tuple(operand(each) for each in operands)
        steps.append(_step(HELPERS[op], args, steps, spare))
        spare.extend(arg.what for arg in args if arg.kind == "step")
        return Operand("step", len(steps) - 1, steps[-1].type)

    try:
        operand(tree)
    except _NoHelper:
        return None  # numba's fused loop then types it, or says what it cannot type
    return steps


def _step(helper, args: tuple, steps: list, spare: list) -> Step:
    """The step calling `helper` on `args`, into a spare temporary where one fits."""
    kinds = tuple(arg.type for arg in args)
    plain = _compiled(helper, (*kinds, types.none))
    result = plain.signature.return_type
    for index in spare:
        if steps[index].type == result:
            into = _compiled(INTO[helper], (*kinds, result))
            if into.signature.return_type == result:
                spare.remove(index)
                return Step(into, args, index, result)
            break
    return Step(plain, args, None, result)


def _compiled(helper, signature: tuple):
    """helper's compile result for argument types `signature` (_NoHelper: none)."""
    try:
        helper.compile(signature)
    except NumbaError:
        raise _NoHelper from None
    return helper.overloads[signature]


# ahead of time (adjoint numba-warm) --------------------------------------------------------
def compile_common(binary: tuple, unary: tuple) -> int:
    """Compile the helpers named in `binary` and `unary`, both versions of each (INTO),
    for float64 arrays of rank 1 and 2 and, for binary ones, float64 and int64 numbers
    (an int: a constant such as the 1 in 1 - h * h) in every combination with an array;
    numba caches them on disk. How many versions that is."""
    arrays = [types.Array(types.float64, ndim, "C") for ndim in (1, 2)]
    kinds = [types.float64, types.int64, *arrays]
    pairs = [(a, b) for a in kinds for b in kinds if a in arrays or b in arrays]
    count = 0
    for names, operands in ((binary, pairs), (unary, [(a,) for a in arrays])):
        for name, each in ((name, each) for name in names for each in operands):
            helper = globals()[name]
            try:
                plain = _compiled(helper, (*each, types.none))
                _compiled(INTO[helper], (*each, plain.signature.return_type))
            except _NoHelper:  # numba cannot type it (none of these): nothing to cache
                continue
            count += 2
    return count
