"""The public entry points: grad, value_and_grad and source.

`grad(f)` returns a `GradientFunction`: call it like `f`. Each call runs one generated
function (entry.py) that checks the argument types are those its code was compiled for
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

from .dispatch import Specializer
from .display import Source
from .errors import BadArguments
from .higher import forward_source
from .lowering.wrappers import as_python_function


class GradientFunction(functools.partial):
    """What `grad` and `value_and_grad` return: call it like the original function.

    `.source` is the generated code that ran last (before any call: the code for array
    arguments); `.sources` maps each argument-type signature seen to its code.
    """

    @property
    def source(self) -> Source:
        return Source(self._specializer.current_source())

    @property
    def sources(self) -> dict:
        spec = self._specializer
        return {key: spec.compiled[key].source for key in spec.cache}

    @property
    def wrt(self) -> tuple:
        return self._specializer.wrt_names

    def _repr_html_(self) -> str:  # in a notebook: the generated code, highlighted
        return self.source._repr_html_()

    def _repr_markdown_(self) -> str:
        return self.source._repr_markdown_()

    def __repr__(self) -> str:
        kind = "value_and_grad" if self._specializer.return_value else "grad"
        return f"<adjoint {kind} of {self._specializer.func.__qualname__} wrt {self.wrt}>"


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
          backend="python") -> GradientFunction:
    func = as_python_function(func)  # grad(np.sqrt): its rule, through a Python function
    spec = Specializer(func, wrt, optimize, return_value, has_aux, check_finite, backend)
    out = GradientFunction(spec.dispatcher, *spec.bound)
    out._specializer = spec
    functools.update_wrapper(out, func, assigned=("__module__", "__name__", "__qualname__", "__doc__"),
                             updated=())
    spec.add_front(out)
    return out
