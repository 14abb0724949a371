"""The public entry points: grad, value_and_grad and source.

`grad(f)` returns a `GradientFunction`: call it like `f`. On each call a small dispatcher
(generated with f's own signature, so it costs a dict lookup) picks the compiled
gradient for the argument types seen (Python/numpy scalars compile to code without
broadcasting bookkeeping), and recompiles when a global or closure value `f` reads has
been rebound since, so a redefined helper or constant never leaves a stale gradient.
An exception leaving the generated code gets a note naming the user's line it comes from
(adjoint/debug.py); `check_finite=True` (or ADJOINT_CHECK_FINITE=1) compiles code that
stops at the first gradient holding nan or inf.
"""
from __future__ import annotations

import functools
import inspect
import numbers

import numpy as np

from .compiler import Compiled, compile_gradient
from .debug import check_finite_default, note_origin
from .vjp import forget_vjps
from .errors import AdjointError, BadArguments, NonScalarOutput
from .fence import check_supported
from .frontend import MISSING, parse_function, resolve_free_name
from .lower import _assigned_names, user_names

SCALAR_TYPES = (int, float, np.integer, np.floating)


class GradientFunction(functools.partial):
    """What `grad` and `value_and_grad` return: call it like the original function.

    `.source` is the generated code that ran last (before any call: the code for array
    arguments); `.sources` maps each argument-type signature seen to its code.
    """

    @property
    def source(self) -> str:
        return self._specializer.current_source()

    @property
    def sources(self) -> dict:
        spec = self._specializer
        return {key: spec.compiled[key].source for key in spec.cache}

    @property
    def wrt(self) -> tuple:
        return self._specializer.wrt_names

    @property
    def adjoint_rule(self):
        """The rule for calls of this gradient inside a function being differentiated:
        its backward is a Hessian-vector product (see adjoint/higher_calls.py)."""
        from .higher_calls import grad_call_rule
        return grad_call_rule(self)

    def __repr__(self) -> str:
        kind = "value_and_grad" if self._specializer.return_value else "grad"
        return f"<adjoint {kind} of {self._specializer.func.__qualname__} wrt {self.wrt}>"


def grad(func=None, wrt=None, *, has_aux: bool = False, optimize: bool = True,
         check_finite: bool | None = None):
    """Gradient of scalar-valued `func` with respect to `wrt` (default: the first parameter).

    `wrt` is a parameter name or index, or a tuple of them; a tuple gives a tuple of
    gradients. Usable as `@grad`, `@grad(wrt="x")` or `grad(f, wrt=(0, 1))`. With
    `has_aux=True`, `func` returns `(loss, aux)` and the call returns `(grads, aux)`.
    `check_finite=True` raises `NonFiniteGradient` at the first gradient holding nan or
    inf; None (the default) follows the environment variable ADJOINT_CHECK_FINITE.
    """
    if func is None:
        return lambda f: grad(f, wrt, has_aux=has_aux, optimize=optimize, check_finite=check_finite)
    return _make(func, wrt, optimize, return_value=False, has_aux=has_aux, check_finite=check_finite)


def value_and_grad(func=None, wrt=None, *, has_aux: bool = False, optimize: bool = True,
                   check_finite: bool | None = None):
    """Like `grad`, but the call returns `(value, gradients)`; with `has_aux=True`,
    `((value, aux), gradients)`."""
    if func is None:
        return lambda f: value_and_grad(f, wrt, has_aux=has_aux, optimize=optimize,
                                        check_finite=check_finite)
    return _make(func, wrt, optimize, return_value=True, has_aux=has_aux, check_finite=check_finite)


def source(func, wrt=None, *example_args, optimize: bool = True, value: bool = False,
           has_aux: bool = False, callees: bool = False, check_finite: bool | None = None,
           mode: str = "grad") -> str:
    """The generated gradient code for `func`, as `grad(func, wrt)` would run it.

    With example arguments, the code specialized to their types (scalars drop the
    broadcasting bookkeeping); without, the code for array arguments. `callees=True`
    appends the forward/backward pair of every function differentiated through.
    `mode="jvp"` gives the forward-mode code `adjoint.jvp` runs instead (with the code
    of every function it calls through).
    """
    if mode == "jvp":
        from .higher import forward_source
        return forward_source(func, wrt, *example_args, optimize=optimize)
    if mode != "grad":
        raise BadArguments(f"mode is 'grad' or 'jvp'; got {mode!r}")
    spec = _Specializer(func, wrt, optimize, value, has_aux, check_finite)
    key = spec.key_of(example_args) if example_args else spec.default_key()
    compiled = spec.compile_for(key)
    if not callees:
        return compiled.source
    seen, parts = set(), [compiled.source]
    pending = list(compiled.callees)
    while pending:  # every function differentiated through, each once
        vjp = pending.pop(0)
        if id(vjp) not in seen and vjp.source:
            seen.add(id(vjp))
            parts.append(vjp.source)
            pending += vjp.callees
    return "\n\n".join(parts)


def _make(func, wrt, optimize, return_value, has_aux=False, check_finite=None) -> GradientFunction:
    spec = _Specializer(func, wrt, optimize, return_value, has_aux, check_finite)
    out = GradientFunction(spec.dispatcher)
    out._specializer = spec
    functools.update_wrapper(out, func, assigned=("__module__", "__name__", "__qualname__", "__doc__"),
                             updated=())
    return out


class _Specializer:
    """Compiles and caches one gradient per signature of argument types."""

    def __init__(self, func, wrt, optimize: bool, return_value: bool, has_aux: bool = False,
                 check_finite: bool | None = None):
        if isinstance(func, GradientFunction):  # grad of grad: reverse over forward code
            from .higher import derivative_function
            func = derivative_function(func)
        self.func = func
        self.has_aux = has_aux
        self.optimize = optimize
        self.check_finite = check_finite  # None: ADJOINT_CHECK_FINITE, read at each compile
        self.return_value = return_value
        parsed = parse_function(func)  # raises NoSource early, at decoration time
        self.filename = parsed.filename
        self.params = _parameters(func)
        self.wrt_names, self.single = _normalize_wrt(func, self.params, wrt)
        self.wrt_positions = tuple(self.params.index(n) for n in self.wrt_names)
        self.free_names = sorted(user_names(parsed.node) - _assigned_names(parsed.node))
        self.parsed = parsed
        self.cache: dict = {}
        self.compiled: dict = {}
        self.by_impl: dict = {}  # id(callable in the cache) -> its Compiled
        self.dispatcher = self._make_dispatcher()

    # dispatch ----------------------------------------------------------------------
    def _make_dispatcher(self):
        """Write the dispatcher with f's own signature. Its fast path calls the code of
        the last call again when the argument types are the same and nothing the code was
        compiled against has been rebound; otherwise `slow` looks up (or compiles) the
        code for these types. Its own names start with _ad_ so no parameter shadows them."""
        sig = inspect.signature(self.func)
        names = list(sig.parameters)
        call_args = ", ".join(f"{p.name}={p.name}" if p.kind is p.KEYWORD_ONLY else p.name
                              for p in sig.parameters.values())
        params = str(sig.replace(parameters=[p.replace(default=p.empty, annotation=p.empty)
                                             for p in sig.parameters.values()],
                                 return_annotation=inspect.Signature.empty))[1:-1]
        key = "(" + "".join(f"type({n}), " for n in names) + ")"
        self.ns = {"_ad_cache": self.cache, "_ad_specialize": self.specialize,
                   "_ad_MISSING": MISSING, "_ad_NonScalarOutput": NonScalarOutput,
                   "_ad_located": self.located, "_ad_refresh": self.refresh, "_ad_note": note_origin,
                   "_ad_callee_guards": (), "_ad_G": self.parsed.globals, "_ad_last": None}
        stale = []
        for k, name in enumerate(self.free_names):
            self.ns[f"_ad_guard_{k}"] = _unresolved
            if name in self.parsed.closure:
                self.ns[f"_ad_cell_{k}"] = self.parsed.closure[name]
                stale.append(f"_ad_cell_{k}.cell_contents is not _ad_guard_{k}")
            else:
                stale.append(f"_ad_G.get({name!r}, _ad_MISSING) is not _ad_guard_{k}")
        for k in range(len(names)):
            self.ns[f"_ad_T{k}"] = _unresolved
        same = "".join(f" and type({n}) is _ad_T{k}" for k, n in enumerate(names))
        same += "".join(f" and not ({g})" for g in stale)
        name = self.parsed.node.name  # a lambda's name is the one it is bound to
        remember = "".join(f"    _ad_T{k} = type({n})\n" for k, n in enumerate(names))
        declare = ", ".join(["_ad_last"] + [f"_ad_T{k}" for k in range(len(names))])
        text = (f"def {name}({params}):\n"
                f"    if not _ad_callee_guards{same}:\n"
                f"        try:\n"
                f"            return _ad_last({call_args})\n"
                f"        except _ad_NonScalarOutput as error:\n"
                f"            raise _ad_located(error) from None\n"
                f"        except Exception as error:\n"
                f"            _ad_note(error)\n"
                f"            raise\n"
                f"    return _ad_slow({call_args})\n"
                f"\n"
                f"def _ad_slow({params}):\n"
                f"    global {declare}\n"
                f"    _ad_impl = _ad_cache.get({key})\n"
                f"    if _ad_impl is None{''.join(' or ' + g for g in stale)}:\n"
                f"        _ad_impl = _ad_specialize({call_args})\n"
                f"    for _ad_table, _ad_name, _ad_obj in _ad_callee_guards:\n"
                f"        if _ad_table.get(_ad_name, _ad_MISSING) is not _ad_obj:\n"
                f"            _ad_impl = _ad_refresh({call_args})\n"
                f"            break\n"
                f"    _ad_last = _ad_impl\n"
                + remember +
                f"    try:\n"
                f"        return _ad_impl({call_args})\n"
                f"    except _ad_NonScalarOutput as error:\n"
                f"        raise _ad_located(error) from None\n"
                f"    except Exception as error:\n"
                f"        _ad_note(error)\n"
                f"        raise\n")
        exec(compile(text, f"<adjoint dispatch {self.func.__qualname__}>", "exec"), self.ns)
        dispatcher = self.ns[name]
        dispatcher.__defaults__ = getattr(self.func, "__defaults__", None)
        dispatcher.__kwdefaults__ = getattr(self.func, "__kwdefaults__", None)
        return dispatcher

    def specialize(self, *args, **kwargs):
        """First call with these argument types, or a global changed: compile."""
        bound = inspect.signature(self.func).bind(*args, **kwargs)
        bound.apply_defaults()
        values = list(bound.arguments.values())
        fresh = [self._guard_value(n) for n in self.free_names]
        if any(self.ns[f"_ad_guard_{k}"] is not v for k, v in enumerate(fresh)):
            self.cache.clear()
            self.compiled.clear()
            self.by_impl.clear()
            for k, value in enumerate(fresh):
                self.ns[f"_ad_guard_{k}"] = value
        key = tuple(type(v) for v in values)
        compiled = self.compile_for(key)
        impl = compiled.function
        if any(issubclass(key[i], np.ndarray) or not issubclass(key[i], SCALAR_TYPES)
               for i in self.wrt_positions):
            impl = self._checked(impl)
        self.cache[key] = impl
        self.by_impl[id(impl)] = compiled
        self.ns["_ad_callee_guards"] = tuple(
            {(id(t), n): (t, n, o) for c in self.compiled.values()
             for t, n, o in list(c.guards) + _callee_guards(c.callees)}.values())
        self._check_inputs(values)
        return impl

    def refresh(self, *args, **kwargs):
        """A function called through was redefined, or a global it reads rebound."""
        forget_vjps()
        self.cache.clear()
        self.compiled.clear()
        self.by_impl.clear()
        return self.specialize(*args, **kwargs)

    def _guard_value(self, name):
        """What the dispatcher's guard for `name` compares: closure cell, else global."""
        if name in self.parsed.closure:
            return resolve_free_name(self.parsed, name)
        return self.parsed.globals.get(name, MISSING)

    def default_key(self) -> tuple:
        """The argument types assumed before any call: what the parameters are annotated
        with when that is float or int (x: float), else arrays."""
        scalars = {float: float, int: int, "float": float, "int": int}  # (or as strings)
        annotations = getattr(self.func, "__annotations__", {})
        return tuple(scalars.get(annotations.get(name), np.ndarray) for name in self.params)

    def key_of(self, args) -> tuple:
        bound = inspect.signature(self.func).bind(*args)
        bound.apply_defaults()
        return tuple(type(v) for v in bound.arguments.values())

    def compile_for(self, key) -> Compiled:
        check = check_finite_default() if self.check_finite is None else bool(self.check_finite)
        if key not in self.compiled or self.compiled[key].check_finite != check:
            scalars = frozenset(n for n, t in zip(self.params, key) if issubclass(t, SCALAR_TYPES)
                                and not issubclass(t, (bool, np.bool_)))
            self.compiled[key] = compile_gradient(self.func, self.wrt_names, scalars,
                                                  return_value=self.return_value,
                                                  optimize=self.optimize, single=self.single,
                                                  has_aux=self.has_aux, check_finite=check)
        return self.compiled[key]

    def current_source(self) -> str:
        """The code that ran last; before any call, the code for array arguments."""
        ran = self.by_impl.get(id(self.ns.get("_ad_last")))
        if ran is not None:
            return ran.source
        return self.compile_for(self.default_key()).source

    def _checked(self, impl):
        """impl, after checking that array inputs being differentiated hold floats."""
        check = self._check_inputs

        def checked(*args, **kwargs):  # the dispatcher passes keyword-only values in order
            check(list(args) + list(kwargs.values()))
            return impl(*args, **kwargs)
        return checked

    def _check_inputs(self, values) -> None:
        for name, position in zip(self.wrt_names, self.wrt_positions):
            if position < len(values):
                _check_differentiable(name, values[position])

    def located(self, error: NonScalarOutput) -> NonScalarOutput:
        compiled = self.by_impl.get(id(self.ns.get("_ad_last")))
        location = compiled.return_location if compiled else None
        return NonScalarOutput.at(location, f"{error} from {self.func.__name__}",
                                  "return a single number (e.g. np.sum(...) or np.mean(...)); "
                                  "for vector outputs take the gradient of each entry")


_unresolved = object()


def _callee_guards(callees, seen=None) -> list:
    seen = set() if seen is None else seen
    out = []
    for vjp in callees:
        if id(vjp) in seen:
            continue
        seen.add(id(vjp))
        out += list(vjp.guards) + _callee_guards(vjp.callees, seen)
    return out


def _parameters(func) -> list:
    params = []
    for p in inspect.signature(func).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            parsed = parse_function(func)
            check_supported(parsed)  # reports *args / **kwargs with file and line
        params.append(p.name)
    return params


def _normalize_wrt(func, params, wrt):
    """(names, single): names of the parameters to differentiate, and whether one was asked."""
    single = wrt is None or isinstance(wrt, (int, str))
    if not single and not isinstance(wrt, (tuple, list)):
        raise BadArguments(f"wrt is a parameter name or index, or a tuple of them; got {wrt!r}")
    items = (0,) if wrt is None else (wrt,) if single else tuple(wrt)
    if not items:
        raise BadArguments("wrt is empty: name at least one parameter to differentiate")
    names = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise BadArguments(f"wrt entries are parameter names or indices; got {item!r}")
        if isinstance(item, int):
            if not -len(params) <= item < len(params):
                raise BadArguments(f"wrt index {item} is out of range: {func.__name__} has "
                                   f"{len(params)} parameters ({', '.join(params)})")
            item = params[item]
        elif item not in params:
            raise BadArguments(f"{func.__name__} has no parameter named {item!r}; its "
                               f"parameters are ({', '.join(params)})")
        if item in names:
            raise BadArguments(f"wrt names {item!r} twice")
        names.append(item)
    if not params:
        raise BadArguments(f"{func.__name__} takes no parameters: there is nothing to differentiate")
    return tuple(names), single


def _check_differentiable(name, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _check_differentiable(f"{name}[{key!r}]", item)
        return
    if isinstance(value, (tuple, list)):
        for k, item in enumerate(value):
            _check_differentiable(f"{name}[{k}]", item)
        return
    if isinstance(value, (bool, np.bool_)):
        raise BadArguments(f"cannot differentiate with respect to {name}: it is a bool",
                           )
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iub":
            raise BadArguments(f"cannot differentiate with respect to {name}: it is "
                               f"{'an integer' if value.dtype.kind in 'iu' else 'a boolean'} array "
                               f"(dtype {value.dtype}); pass {name}.astype(float)")
        if value.dtype.kind != "f":
            raise BadArguments(f"cannot differentiate with respect to {name}: dtype {value.dtype} "
                               "is not a real floating type")
        return
    if isinstance(value, numbers.Real):
        return
    raise BadArguments(f"cannot differentiate with respect to {name}: got {type(value).__name__}; "
                       "pass a float or a numpy float array")
