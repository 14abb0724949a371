"""The public entry points: grad, value_and_grad and source.

`grad(f)` returns a `GradientFunction`, a plain function: call it like `f`. Each call
runs one generated function (entry.py) that checks the argument types are those its code was compiled for
(Python/numpy scalars compile to code without broadcasting bookkeeping), else finds or
compiles the code for them, and recompiles when anything that code was compiled against changed since: a global or
closure value f reads, a module attribute it calls (np.tanh), the code of f or of a
function it calls through (`__code__` replaced in place, as IPython's %autoreload does).
Source read from a file edited since import is refused (NoSource), never differentiated.
Calls from several threads are safe (see dispatch.py). `grad` of a `grad` of a scalar
parameter is the second derivative (reverse mode over forward-mode code, dispatch.py);
jvp, Jacobians, Hessians and HVPs are in higher.py.
An exception leaving the generated code gets a note naming the user's line it comes from
(adjoint/debug.py); `check_finite=True` (or ADJOINT_CHECK_FINITE=1) compiles code that
stops at the first gradient holding nan or inf.
"""
from __future__ import annotations

import functools
import types

from .dispatch import Specializer
from .display import PendingSource, Source
from .errors import BadArguments
from .higher import forward_source
from .lowering.wrappers import as_python_function
from .rules.registry import RULE_KIND


class _GradientKind(type):
    # a function's class cannot be ours: isinstance asks for the mark _make leaves on it
    def __instancecheck__(cls, obj) -> bool:
        return type(obj) is types.FunctionType and vars(obj).get(RULE_KIND) is cls


class GradientFunction(metaclass=_GradientKind):
    """What `grad` and `value_and_grad` return: a plain function (Python calls those
    cheapest) with f's signature, and `isinstance(g, adjoint.GradientFunction)` is true.

    `.source` is the generated code that ran last (before any call: the code for array
    arguments, compiled when first read); `.sources` maps each argument-type signature
    seen to its code; `.wrt` names the parameters differentiated.
    """


def _show(spec) -> None:
    """Keep the gradient function's .source and .sources on the code its calls run."""
    gradient = spec.dispatcher
    gradient.source = PendingSource(spec.current_source) if spec.last is None else Source(spec.last.source)
    gradient.sources = {key: spec.compiled[key].source for key in spec.cache}


def grad(func=None, wrt=None, *, has_aux: bool = False, optimize: bool = True,
         check_finite: bool | None = None, backend: str = "python"):
    """Gradient of scalar-valued `func` with respect to `wrt` (default: the first parameter).

    `wrt` is a parameter name or index, or a tuple of them; a tuple gives a tuple of
    gradients. Usable as `@grad`, `@grad(wrt="x")` or `grad(f, wrt=(0, 1))`. With
    `has_aux=True`, `func` returns `(loss, aux)` and the call returns `(grads, aux)`.
    `check_finite=True` raises `NonFiniteGradient` at the first gradient holding nan or
    inf; None (the default) follows the environment variable ADJOINT_CHECK_FINITE.
    `backend="numba"` (`pip install 'adjoint[numba]'`) compiles the gradient code with
    numba.njit on its first call with each new set of argument types: loops on numbers
    run many times faster; what numba cannot type is refused with an AdjointError.
    """
    if func is None:
        return lambda f: grad(f, wrt, has_aux=has_aux, optimize=optimize, check_finite=check_finite,
                              backend=backend)
    return _make(func, wrt, optimize, return_value=False, has_aux=has_aux, check_finite=check_finite,
                 backend=backend)


def value_and_grad(func=None, wrt=None, *, has_aux: bool = False, optimize: bool = True,
                   check_finite: bool | None = None, backend: str = "python"):
    """Like `grad`, but the call returns `(value, gradients)`; with `has_aux=True`,
    `((value, aux), gradients)`."""
    if func is None:
        return lambda f: value_and_grad(f, wrt, has_aux=has_aux, optimize=optimize,
                                        check_finite=check_finite, backend=backend)
    return _make(func, wrt, optimize, return_value=True, has_aux=has_aux, check_finite=check_finite,
                 backend=backend)


def source(func, wrt=None, *example_args, optimize: bool = True, value: bool = False,
           has_aux: bool = False, callees: bool = False, check_finite: bool | None = None,
           mode: str = "grad", backend: str = "python") -> str:
    """The generated gradient code for `func`, as `grad(func, wrt)` would run it.

    With example arguments, the code specialized to their types (scalars drop the
    broadcasting bookkeeping); without, the code for array arguments. `callees=True`
    appends the forward/backward pair of every function differentiated through.
    `mode="jvp"` gives the forward-mode code `adjoint.jvp` runs instead (with the code
    of every function it calls through). `backend="numba"`: the code numba compiles
    (nothing is compiled until a call).
    """
    if mode == "jvp":
        return Source(forward_source(func, wrt, *example_args, optimize=optimize))
    if mode != "grad":
        raise BadArguments(f"mode is 'grad' or 'jvp'; got {mode!r}")
    spec = Specializer(as_python_function(func), wrt, optimize, value, has_aux, check_finite, backend)
    key = spec.key_of(example_args) if example_args else spec.default_key()
    compiled = spec.compile_for(key)
    if not callees:
        return Source(compiled.source)
    seen, parts = set(), [compiled.source]
    pending = list(compiled.callees)
    while pending:  # every function differentiated through, each once
        vjp = pending.pop(0)
        if id(vjp) not in seen and vjp.source:
            seen.add(id(vjp))
            parts.append(vjp.source)
            pending += vjp.callees
    return Source("\n\n".join(parts))


def _make(func, wrt, optimize, return_value, has_aux=False, check_finite=None,
          backend="python"):
    func = as_python_function(func)  # grad(np.sqrt): its rule, through a Python function
    spec = Specializer(func, wrt, optimize, return_value, has_aux, check_finite, backend)
    gradient = spec.dispatcher
    functools.update_wrapper(gradient, func, assigned=("__module__", "__name__", "__qualname__", "__doc__"),
                             updated=())
    gradient._specializer = spec
    gradient.wrt = spec.wrt_names
    setattr(gradient, RULE_KIND, GradientFunction)  # calls of it get higher_calls.py's rule
    gradient._repr_html_ = lambda: gradient.source._repr_html_()  # in a notebook: the code
    gradient._repr_markdown_ = lambda: gradient.source._repr_markdown_()
    spec.on_run = _show
    _show(spec)
    return gradient
