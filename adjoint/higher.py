"""Forward mode and higher derivatives, with JAX's conventions.

    jvp(f, primals, tangents) -> (f(*primals), tangent of the output)
    jacfwd(f, wrt) / jacrev(f, wrt) / jacobian(f, wrt) -> a function giving the Jacobian,
        shape out.shape + in.shape (a tuple of them for a tuple wrt)
    hessian(f, wrt) -> a function giving the Hessian, shape x.shape + x.shape
        (blocks H[i][j] for a tuple wrt)
    hvp(f, primals, tangents) -> the gradient of <grad f, v>: one entry per primal

jvp runs forward-mode code (adjoint/forward/): the primal lines with a tangent line beside
each. That code is plain numpy, exec'd from its own text, so the reverse mode
differentiates it like any user function: an HVP is the gradient of the forward code's
tangent output (reverse over forward), a Hessian is one HVP per basis vector (a Python
loop over the basis: a batched leading axis would change what reductions, reshapes and
indexing in the user's code mean), and grad(grad(f)) is reverse mode over
the forward code seeded with tangent 1.0 (`Specializer.derivative_function` in
dispatch.py). jacrev runs the reverse pair (forward half, backward half) once per output
entry. Forward code is compiled by pipeline.compile_forward.
"""
from __future__ import annotations

import numbers

import numpy as np

from .dispatch import (SCALAR_TYPES, Specializer, check_differentiable, internal_errors, normalize_wrt,
                       parameters)
from .errors import BadArguments
from .guards import is_stale
from .pipeline import compile_callee_pair, compile_forward, forward_guards
from .runtime.core import writeable

__all__ = ["jvp", "jacfwd", "jacrev", "jacobian", "hessian", "hvp", "forward_source"]


# compiled forward code, per function, tangent parameters, scalars and mode ------------
_FORWARD: dict = {}
_REVERSE: dict = {}  # (forward function, wrt) -> gradient (dispatcher) of its tangent output


def forward_code(func, wrt: tuple, args, mode: str):
    """The ForwardCompiled of func (pipeline.compile_forward) for these tangent
    parameters, the scalars among `args` and `mode`, compiled again when stale."""
    func = plain(func)  # (a derivative function made again when stale is a new key)
    scalars = scalar_names(func, args)
    key = (func, wrt, scalars, mode)
    compiled = _FORWARD.get(key)
    if compiled is None or is_stale(forward_guards([compiled])):
        with internal_errors(func, "compiling the forward-mode code of"):
            compiled = _FORWARD[key] = compile_forward(func, wrt, scalars, mode=mode)
    return compiled


def scalar_names(func, args) -> frozenset:
    params = parameters(plain(func))
    return frozenset(p for p, a in zip(params, args)
                     if isinstance(a, SCALAR_TYPES) and not isinstance(a, (bool, np.bool_)))


def plain(func):
    """The Python function to compile: grad(f) of a scalar x is its derivative function."""
    spec = getattr(func, "_specializer", None)
    if isinstance(spec, Specializer):
        return spec.derivative_function()
    return func


# jvp -------------------------------------------------------------------------------
def jvp(f, primals, tangents):
    """(f(*primals), the output's tangent along `tangents`): one tangent per primal, each
    with its primal's structure, None for a primal held constant."""
    primals, tangents = tuple(primals), tuple(tangents)
    params = parameters(plain(f))
    if len(primals) != len(tangents) or len(primals) > len(params):
        raise BadArguments(f"jvp takes one tangent per primal; got {len(primals)} primals and "
                           f"{len(tangents)} tangents for {getattr(f, '__name__', f)}"
                           f"({', '.join(params)})")
    wrt = tuple(p for p, t in zip(params, tangents) if t is not None)
    dots = [_checked_tangent(p, x, t) for p, x, t in zip(params, primals, tangents) if t is not None]
    compiled = forward_code(f, wrt, primals, "pair")
    value, tangent = compiled.function(*primals, **_named(compiled.function, dots))
    return value, _owned(tangent, dots)


def _checked_tangent(name, primal, tangent):
    check_differentiable(name, primal)
    if isinstance(primal, (tuple, list, dict)):
        if type(tangent) is not type(primal) or len(tangent) != len(primal):
            raise BadArguments(f"the tangent for {name} must have its primal's structure "
                               f"({type(primal).__name__} of {len(primal)})")
        keys = primal.keys() if isinstance(primal, dict) else range(len(primal))
        for k in keys:
            _checked_tangent(f"{name}[{k!r}]", primal[k], tangent[k])
        return tangent
    if np.shape(tangent) != np.shape(primal):
        raise BadArguments(f"the tangent for {name} has shape {np.shape(tangent)}; its primal "
                           f"has shape {np.shape(primal)}")
    return tangent


def _owned(tangent, inputs):
    """The output tangent as the caller's own: never a view, nor an input tangent itself."""
    if isinstance(tangent, (tuple, list)):
        return type(tangent)(_owned(t, inputs) for t in tangent)
    if isinstance(tangent, dict):
        return {k: _owned(t, inputs) for k, t in tangent.items()}
    if isinstance(tangent, np.ndarray) and any(tangent is d for d in inputs):
        return tangent.copy()
    return writeable(tangent)


def forward_source(func, wrt=None, *example_args, mode: str = "pair", optimize: bool = True) -> str:
    """The generated forward-mode code (`adjoint.source(f, wrt, mode="jvp")`), with the
    code of every function it calls through."""
    func = plain(func)
    params = parameters(func)
    names, _ = normalize_wrt(func, params, wrt)
    with internal_errors(func, "compiling the forward-mode code of"):
        compiled = compile_forward(func, names, scalar_names(func, example_args), mode=mode,
                                   optimize=optimize)
    parts, seen, pending = [], set(), [compiled]
    while pending:  # this function's code, then every function it calls through, each once
        item = pending.pop(0)
        if item.source not in seen:
            seen.add(item.source)
            parts.append(item.source)
            pending += item.callees
    return "\n\n".join(parts)


# Jacobians -------------------------------------------------------------------------
def jacfwd(f, wrt=0):
    """A function giving f's Jacobian by forward mode: one jvp per input entry."""
    def jacobian_fwd(*args):
        names, single, positions = _wrt_of(f, wrt)
        blocks = []
        for name, k in zip(names, positions):
            x = _float_array(args[k], name)
            compiled = forward_code(f, (name,), args, "tangent")
            columns = [np.asarray(compiled.function(*args, **_named(compiled.function, [_basis(x, i)])),
                                  dtype=float)
                       for i in range(x.size)]
            stacked = np.stack(columns, axis=-1) if columns else np.zeros((0,))
            out_shape = np.shape(columns[0]) if columns else ()
            blocks.append(stacked.reshape(out_shape + np.shape(args[k])))
        return blocks[0] if single else tuple(blocks)
    return jacobian_fwd


def jacrev(f, wrt=0):
    """A function giving f's Jacobian by reverse mode: one backward per output entry."""
    def jacobian_rev(*args):
        names, single, positions = _wrt_of(f, wrt)
        for name, k in zip(names, positions):
            _float_array(args[k], name)
        vjp = compile_callee_pair(plain(f), names, scalar_names(f, args), True)
        out, saved = vjp.fwd_ref.value(*args)
        out = np.asarray(out)
        rows = [[] for _ in names]
        for i in range(out.size):
            if i:  # the backward consumes what the forward saved: run it again
                _, saved = vjp.fwd_ref.value(*args)
            grads = vjp.bwd_ref.value(_basis(out, i), saved)
            for row, g, k in zip(rows, grads, positions):
                row.append(np.broadcast_to(g, np.shape(args[k])))
        blocks = [np.reshape(np.stack(row) if row else np.zeros((0,)), out.shape + np.shape(args[k]))
                  for row, k in zip(rows, positions)]
        return blocks[0] if single else tuple(blocks)
    return jacobian_rev


jacobian = jacrev


def _wrt_of(f, wrt):
    func = plain(f)
    params = parameters(func)
    names, single = normalize_wrt(func, params, wrt)
    return names, single, tuple(params.index(n) for n in names)


def _float_array(x, name):
    check_differentiable(name, x)
    if isinstance(x, (tuple, list, dict)):
        raise BadArguments(f"Jacobians and Hessians need {name} to be an array or a number; "
                           f"got a {type(x).__name__} (pass its entries as parameters)")
    return np.asarray(x, dtype=np.result_type(x, 0.0))


def _basis(x, i):
    """The i-th unit vector in x's shape (a float for a scalar x)."""
    if np.ndim(x) == 0:
        return 1.0
    e = np.zeros(np.shape(x), dtype=np.result_type(x, 0.0))
    e.flat[i] = 1.0
    return e


# Hessians --------------------------------------------------------------------------
def hvp(f, primals, tangents):
    """The gradient of <grad f, v> with respect to every primal: H v (with the cross
    terms for primals that carry no tangent); None for primals that are not floats."""
    primals, tangents = tuple(primals), tuple(tangents)
    params = parameters(plain(f))
    wrt = tuple(p for p, t in zip(params, tangents) if t is not None)
    dots = [_checked_tangent(p, x, t) for p, x, t in zip(params, primals, tangents) if t is not None]
    floats = tuple(p for p, x in zip(params, primals) if is_float(x))
    if not wrt:
        raise BadArguments("hvp needs a tangent for at least one primal")
    gradient, names = tangent_gradient(f, wrt, primals, floats)
    grads = gradient(*primals, **dict(zip(names, dots)))
    by_name = dict(zip(floats, grads))
    return tuple(by_name.get(p) for p in params[:len(primals)])


def tangent_gradient(f, wrt: tuple, args, of: tuple):
    """(grad of f's forward code (tangent output) with respect to `of`: an HVP function,
    the names of its tangent parameters, which it takes by keyword)."""
    compiled = forward_code(f, wrt, args, "tangent")
    key = (compiled.function, of)
    if key not in _REVERSE:  # (grad(forward code), without the GradientFunction wrapper)
        _REVERSE[key] = Specializer(compiled.function, of, optimize=True, return_value=False).dispatcher
    return _REVERSE[key], compiled.function.dot_names


def _named(function, dots) -> dict:
    """Tangents by keyword: a call that leaves parameters to their defaults still binds them."""
    return dict(zip(function.dot_names, dots))


def hessian(f, wrt=0):
    """A function giving f's Hessian: one HVP per entry of each wrt parameter."""
    def hessian_of(*args):
        names, single, positions = _wrt_of(f, wrt)
        xs = [_float_array(args[k], n) for n, k in zip(names, positions)]
        blocks = [[None] * len(names) for _ in names]
        for b, (name, x) in enumerate(zip(names, xs)):
            gradient, (dot_name,) = tangent_gradient(f, (name,), args, names)
            columns = [gradient(*args, **{dot_name: _basis(x, i)}) for i in range(x.size)]
            for a, xa in enumerate(xs):
                cols = [np.asarray(c[a] if len(names) > 1 else c, dtype=float) for c in columns]
                block = np.stack([np.reshape(c, np.shape(xa)) for c in cols], axis=-1)
                blocks[a][b] = block.reshape(np.shape(xa) + np.shape(x))
        return blocks[0][0] if single else tuple(tuple(row) for row in blocks)
    return hessian_of


def is_float(x) -> bool:
    if isinstance(x, (bool, np.bool_)):
        return False
    if isinstance(x, (tuple, list)):
        return bool(x) and all(is_float(v) for v in x)
    if isinstance(x, dict):
        return bool(x) and all(is_float(v) for v in x.values())
    if isinstance(x, np.ndarray):
        return x.dtype.kind == "f"
    return isinstance(x, numbers.Real) and not isinstance(x, numbers.Integral)
