"""Dispatch: one compiled gradient per signature of argument types, picked on each call.

`Specializer` compiles (through adjoint/pipeline.py) and caches one gradient per tuple of
argument types, and writes a small dispatcher with the user's own signature. Its fast path
reads one immutable state tuple (argument types, code, what the guards expect, see
guards.py) published by a single assignment, so threads never see half of an update, and
calls that code again when the argument types are the same and nothing it was compiled
against has been rebound (the function's free names and its `__code__` are checked inline;
module attributes and functions called through, in the state's list). Otherwise the slow
path, holding the compile lock, looks up or compiles the code and publishes a new state.
Any exception other than an AdjointError raised while compiling is a bug in adjoint: it
reaches the user as an `InternalError` naming the function and its line.
`normalize_wrt` and `parameters` read what the user asked for.
"""
from __future__ import annotations

import contextlib
import inspect
import numbers
import operator

import numpy as np

from .backends import check_backend
from .errors import AdjointError, BadArguments, InternalError, NonScalarOutput
from .guards import CellTable, is_stale, merged, readers
from .lowering.frontend import MISSING, definition_location, parse_function
from .lowering.lower import assigned_names, user_names
from .lowering.statics import argument_key, kind_of, packed_argument, spread_names, static_defaults
from .pipeline import (COMPILE_LOCK, Compiled, compile_forward, compile_gradient, forward_guards,
                       pair_guards)
from .runtime.debug import check_finite_default, note_origin
from .runtime.python import left_open
from .runtime.pytrees import fields_of, has_leaves, is_object

SCALAR_TYPES = (int, float, np.integer, np.floating)


class Specializer:
    """Compiles and caches one gradient per signature of argument types."""

    def __init__(self, func, wrt, optimize: bool, return_value: bool, has_aux: bool = False,
                 check_finite: bool | None = None, backend: str = "python"):
        inner = getattr(func, "_specializer", None)
        self.inner = inner if isinstance(inner, Specializer) else None  # grad of this gradient
        self.derived_from = None  # the inner gradient's ForwardCompiled that func is
        if self.inner is not None:  # reverse mode over the inner gradient's forward code
            func = self.inner.derivative_function()
            self.derived_from = self.inner.derivative
        self.derivative = None  # ForwardCompiled of derivative_function, made on first use
        self.bound = ()  # grad(model.loss): the object the method is bound to comes first
        if inspect.ismethod(func) and inspect.isfunction(func.__func__):
            self.bound, func = (func.__self__,), func.__func__
        self.func = func
        self.has_aux = has_aux
        self.optimize = optimize
        self.check_finite = check_finite  # None: ADJOINT_CHECK_FINITE, read at each compile
        self.return_value = return_value
        check_backend(backend)
        self.backend = backend  # "python", or "numba" (backends/): fixed for this Specializer
        with internal_errors(func, "preparing the gradient of"):
            parsed = parse_function(func)  # raises NoSource early, at decoration time
            self.params = parameters(func)
            hidden = self.params[:len(self.bound)]
            if wrt is None and len(self.params) == len(self.bound):
                wrt = hidden[0] if hidden else None  # model.objective(): the object itself
            self.wrt_names, self.single = normalize_wrt(func, self.params[len(self.bound):], wrt,
                                                        hidden)
        self.wrt_positions = tuple(self.params.index(n) for n in self.wrt_names)
        self.spread, self.passed = spread_names(parsed.node)
        self.free_names = sorted(user_names(parsed.node) - assigned_names(parsed.node))
        self.parsed, self.code = parsed, func.__code__
        # the free names the dispatcher's own text checks: (table, name), fixed from now on
        self.inline = [(CellTable(parsed.closure[n]) if n in parsed.closure else parsed.globals, n)
                       for n in self.free_names]
        self.expected = None  # what the inline guards read when the caches were filled
        self.cache: dict = {}  # argument types -> (callable, guards the dispatcher checks)
        self.compiled: dict = {}  # argument types -> Compiled
        self.by_impl: dict = {}  # id(callable in the cache) -> its Compiled
        self.example_statics: dict = {}  # key -> statics, for source() and the CLI
        self.ns: dict = {}
        self.prefix = private_prefix(self.params + [parsed.node.name])
        self.dispatcher = self._make_dispatcher()

    @property
    def state(self) -> tuple:
        """(argument types, callable, inline guard values..., code, readers of the other
        guards, what they must read) of the last call."""
        return self.ns[self.prefix + "state"]

    # dispatch ----------------------------------------------------------------------
    def _make_dispatcher(self):
        """Write the dispatcher with f's own signature. Its names start with a prefix no
        parameter starts with, so none shadows them."""
        P = self.prefix
        sig = inspect.signature(self.func)
        call_args = ", ".join(_passed(p) for p in sig.parameters.values())
        params = str(sig.replace(parameters=[p.replace(default=p.empty, annotation=p.empty)
                                             for p in sig.parameters.values()],
                                 return_annotation=inspect.Signature.empty))[1:-1]
        # a parameter the code spreads (or a dict it passes on): its length or keys too
        types = "(" + "".join(f"{P}packed({n}, {n in self.spread}), " if n in self.spread | self.passed
                              else f"{P}type({n}), " for n in sig.parameters) + ")"
        self.ns.update({P + "state": (None, None), P + "type": type, P + "M": MISSING,
                        P + "packed": _packed_key,
                        P + "G": self.parsed.globals, P + "F": self.func, P + "is": operator.is_,
                        P + "call": _call,
                        P + "slow": self.slow_path, P + "located": self.located,
                        P + "NonScalarOutput": NonScalarOutput, P + "note": note_origin,
                        P + "left_open": left_open})
        checks = []
        for k, (table, name) in enumerate(self.inline):
            if isinstance(table, CellTable):
                self.ns[f"{P}cell{k}"] = table.cell
                checks.append(f"{P}cell{k}.cell_contents is {P}s[{k + 2}]")
            elif name in table:  # a subscript is cheaper than .get (a KeyError: not fresh)
                checks.append(f"{P}G[{name!r}] is {P}s[{k + 2}]")
            else:  # a builtin, or not defined yet
                checks.append(f"{P}G.get({name!r}, {P}M) is {P}s[{k + 2}]")
        n = len(self.inline)
        checks.append(f"{P}F.__code__ is {P}s[{n + 2}]")
        checks.append(f"(not {P}s[{n + 3}] or all(map({P}is, map({P}call, {P}s[{n + 3}]), {P}s[{n + 4}])))")
        text = (f"def {self.parsed.node.name}({params}):\n"
                f"    {P}s = {P}state\n"
                f"    try:\n"
                f"        {P}fresh = {types} == {P}s[0] and {' and '.join(checks)}\n"
                f"    except (LookupError, ValueError):  # a global deleted, an empty cell\n"
                f"        {P}fresh = False\n"
                f"    {P}impl = {P}s[1] if {P}fresh else {P}slow({call_args})\n"
                f"    try:\n"
                f"        return {P}impl({call_args})\n"
                f"    except {P}NonScalarOutput as {P}error:\n"
                f"        raise {P}located({P}error, {P}impl) from None\n"
                f"    except Exception as {P}error:\n"
                f"        {P}left_open({P}error)\n"
                f"        {P}note({P}error)\n"
                f"        raise\n")
        exec(compile(text, f"<adjoint dispatch {self.func.__qualname__}>", "exec"), self.ns)
        dispatcher = self.ns[self.parsed.node.name]
        dispatcher.__defaults__ = getattr(self.func, "__defaults__", None)
        dispatcher.__kwdefaults__ = getattr(self.func, "__kwdefaults__", None)
        return dispatcher

    def slow_path(self, *args, **kwargs):
        """New argument types, or something rebound: find or compile the code, publish it
        as the new state in one assignment, and return it."""
        bound = inspect.signature(self.func).bind(*args, **kwargs)
        bound.apply_defaults()
        values = list(bound.arguments.values())
        known = self.known_values(values)
        key = arguments_key(known)  # types; for callables and objects, more (statics.py)
        statics = self.static_values(known)
        for name, value in zip(self.params, values):
            check_plain_array(name, value, self.func)
        with COMPILE_LOCK, internal_errors(self.func, "compiling the gradient of"):
            self._check_inner()
            if self.func.__code__ is not self.code:
                self._reload_code()
            expected = tuple(table.get(name, MISSING) for table, name in self.inline)
            if self.expected is None or any(a is not b for a, b in zip(expected, self.expected)):
                self._forget()
                self.expected = expected
            entry = self.cache.get(key)
            if entry is None or is_stale(entry[1]):
                entry = self._specialize(key, statics)
            impl, guards = entry
            # with a callable or object argument the fast path's type check never matches:
            # each call computes the full key here
            self.ns[self.prefix + "state"] = ((None if _beyond_lengths(statics) else key, impl) + expected + (self.code, readers(guards))
                                              + (tuple(g[2] for g in guards),))
        self._check_inputs(values)
        return impl

    def _specialize(self, key, statics=None):
        """Compile for these argument types; the guards the dispatcher must check for it."""
        compiled = self.compile_for(key, statics)
        impl = compiled.function
        if any(not isinstance(key[i], type) or not issubclass(key[i], SCALAR_TYPES)
               for i in self.wrt_positions):
            impl = self._checked(impl)
        inline = {(id(t.cell) if isinstance(t, CellTable) else id(t), n) for t, n in self.inline}
        inner = forward_guards([self.derived_from]) if self.inner is not None else []
        guards = tuple(g for g in merged(compiled.guards, pair_guards(compiled.callees) + inner)
                       if (id(g[0].cell) if isinstance(g[0], CellTable) else id(g[0]), g[1])
                       not in inline)
        self.cache[key] = (impl, guards)
        self.by_impl[id(impl)] = compiled
        return impl, guards

    def _reload_code(self):
        """The function's __code__ was replaced (IPython's %autoreload): read it again."""
        parsed = parse_function(self.func)
        if parameters(self.func) != self.params:
            raise BadArguments.at(definition_location(self.func),
                                  f"the parameters of {self.func.__qualname__} changed since its "
                                  "gradient was made", "call adjoint.grad on it again")
        self.parsed, self.code = parsed, self.func.__code__
        self._forget()

    def _forget(self):
        self.cache.clear()
        self.compiled.clear()
        self.by_impl.clear()

    # grad of grad ------------------------------------------------------------------
    def derivative_function(self):
        """A Python function computing what this gradient computes, for one scalar
        parameter: f's forward code seeded with tangent 1.0 (pipeline.compile_forward,
        mode "unit"), which reverse mode can differentiate again, and whose own
        derivative function gives the next order."""
        if self.return_value or self.has_aux or not self.single:
            kind = "value_and_grad" if self.return_value else "grad with has_aux" if self.has_aux \
                else "grad with a tuple wrt"
            raise AdjointError.at(definition_location(self.func),
                                  f"the derivative of {kind} of {self.func.__name__} is not "
                                  "supported: its output is not one scalar",
                                  "take grad(grad(f)) of a single scalar parameter, or "
                                  "adjoint.hessian(f) for arrays")
        with COMPILE_LOCK, internal_errors(self.func, "compiling the derivative of"):
            self._check_inner()
            if self.derivative is None or is_stale(forward_guards([self.derivative])):
                self.derivative = compile_forward(self.func, self.wrt_names, frozenset(), mode="unit")
            return self.derivative.function

    def _check_inner(self) -> None:
        """A gradient of a gradient differentiates the code the inner one's forward mode
        made when it was created: once f (or anything it reads) changed, refuse."""
        inner = self.inner
        if inner is None:
            return
        inner._check_inner()
        if is_stale(forward_guards([self.derived_from])):
            raise AdjointError.at(definition_location(inner.func),
                                  f"{inner.func.__qualname__}, or something it reads, changed "
                                  "since the gradient of its gradient was made",
                                  "call adjoint.grad on adjoint.grad(f) again")

    def default_key(self) -> tuple:
        """The argument types assumed before any call: what the parameters are annotated
        with when that is float or int (x: float), else arrays; the object a method is
        bound to, and callable defaults, as they are."""
        scalars = {float: float, int: int, "float": float, "int": int}  # (or as strings)
        annotations = getattr(self.func, "__annotations__", {})
        known = dict(zip(self.params, self.bound)) | static_defaults(self.func)
        key = tuple(argument_key(known[name]) if name in known else
                    scalars.get(annotations.get(name), np.ndarray) for name in self.params)
        self.example_statics[key] = self.static_values([known.get(n) for n in self.params])
        return key

    def key_of(self, args) -> tuple:
        bound = bind_examples(self.func, self.bound + tuple(args))
        bound.apply_defaults()
        values = self.known_values(list(bound.arguments.values()))
        key = arguments_key(values)
        self.example_statics[key] = self.static_values(values)
        return key

    def known_values(self, values) -> list:
        """The arguments, with those the code spreads (f(*xs), f(**d)) as how many values
        or which keys they hold (statics.packed_argument)."""
        return [packed_argument(v, n in self.spread) if n in self.spread or n in self.passed else v
                for n, v in zip(self.params, values)]

    def static_values(self, values) -> dict:
        """Parameter name -> value, for the arguments known when compiling (statics.py)."""
        return {name: v for name, v in zip(self.params, values) if kind_of(v) is not None}

    def compile_for(self, key, statics: dict | None = None) -> Compiled:
        statics = self.example_statics.get(key) if statics is None else statics
        check = check_finite_default() if self.check_finite is None else bool(self.check_finite)
        with COMPILE_LOCK, internal_errors(self.func, "compiling the gradient of"):
            self._check_inner()
            known = self.compiled.get(key)
            if known is None or known.check_finite != check or is_stale(
                    merged(known.guards, pair_guards(known.callees))):
                number_types = {n: t for n, t in zip(self.params, key) if isinstance(t, type)
                                and issubclass(t, SCALAR_TYPES) and not issubclass(t, (bool, np.bool_))}
                scalars = frozenset(number_types)
                self.compiled[key] = compile_gradient(self.func, self.wrt_names, scalars,
                                                      number_types=number_types,
                                                      return_value=self.return_value,
                                                      optimize=self.optimize, single=self.single,
                                                      has_aux=self.has_aux, check_finite=check,
                                                      backend=self.backend, statics=statics)
            return self.compiled[key]

    def current_source(self) -> str:
        """The code that ran last; before any call, the code for array arguments."""
        ran = self.by_impl.get(id(self.state[1]))
        if ran is not None:
            return ran.source
        return self.compile_for(self.default_key()).source

    def _checked(self, impl):
        """impl, after checking that array inputs being differentiated hold floats."""
        check = self._check_inputs
        kinds = [p.kind for p in inspect.signature(self.func).parameters.values()]
        if inspect.Parameter.VAR_POSITIONAL in kinds or inspect.Parameter.VAR_KEYWORD in kinds:
            signature = inspect.signature(self.func)

            def gathered(*args, **kwargs):  # *args and **kwargs: bind to see each parameter
                check(list(signature.bind(*args, **kwargs).arguments.values()))
                return impl(*args, **kwargs)
            return gathered

        def checked(*args, **kwargs):  # the dispatcher passes keyword-only values in order
            check(list(args) + list(kwargs.values()))
            return impl(*args, **kwargs)
        return checked

    def _check_inputs(self, values) -> None:
        for name, position in zip(self.wrt_names, self.wrt_positions):
            if position < len(values):
                check_differentiable(name, values[position], self.func)

    def located(self, error: NonScalarOutput, impl=None) -> NonScalarOutput:
        compiled = self.by_impl.get(id(impl))
        location = compiled.return_location if compiled else None
        return NonScalarOutput.at(location, f"{error} from {self.func.__name__}",
                                  "return a single number (e.g. np.sum(...) or np.mean(...)); "
                                  "for vector outputs take the gradient of each entry")


def bind_examples(func, args) -> inspect.BoundArguments:
    """Example arguments (adjoint.source, adjoint.check) bound to func's parameters."""
    try:
        return inspect.signature(func).bind(*args)
    except TypeError as exc:
        params = ", ".join(inspect.signature(func).parameters)
        raise BadArguments.at(definition_location(func),
                              f"the example arguments do not fit {func.__qualname__}({params}): "
                              f"{exc}", "pass one example value per parameter") from None


def private_prefix(names) -> str:
    """A prefix for the dispatcher's own names that none of `names` starts with, so no
    parameter can shadow them (deterministic: the shortest of _adjoint_, _adjoint__, ...)."""
    prefix = "_adjoint_"
    while any(name.startswith(prefix) for name in names):
        prefix += "_"
    return prefix


@contextlib.contextmanager
def internal_errors(func, doing: str):
    """Any exception but an AdjointError escaping here is a bug in adjoint: say so, name
    the function and its line, and chain the original exception."""
    try:
        yield
    except AdjointError:
        raise
    except Exception as exc:
        where = definition_location(func)
        at = f" ({where.filename}:{where.line})" if where else ""
        name = getattr(func, "__qualname__", repr(func))
        raise InternalError(f"internal error in adjoint while {doing} {name}{at}: "
                            f"{type(exc).__name__}: {exc}\nThis is a bug in adjoint, not in your "
                            "code; please report it with the function.") from exc


def _packed_key(value, spread: bool):
    """The key part of a parameter the code spreads or passes on, as the dispatcher checks
    it (a container's length or keys; anything else, its type)."""
    return argument_key(packed_argument(value, spread)) if type(value) in (dict, tuple, list) \
        else type(value)


def _beyond_lengths(statics: dict) -> bool:
    """Whether the key holds more than the dispatcher's own check computes (types, and
    the lengths or keys of spread parameters): callables and objects, checked in full."""
    return any(kind_of(v) != "packed" for v in statics.values())


def parameters(func) -> list:
    return list(inspect.signature(func).parameters)


def arguments_key(values) -> tuple:
    return tuple(argument_key(v) for v in values)


def _passed(p: inspect.Parameter) -> str:
    """How the dispatcher passes a parameter on: x, k=k, *args, **kwargs."""
    if p.kind is p.KEYWORD_ONLY:
        return f"{p.name}={p.name}"
    return {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "") + p.name


def normalize_wrt(func, params, wrt, hidden=()):
    """(names, single): names of the parameters to differentiate, and whether one was asked.
    `hidden`: parameters named only by name (the self of a bound method)."""
    single = wrt is None or isinstance(wrt, (int, str))
    if not single and not isinstance(wrt, (tuple, list)):
        raise _refusal(func, f"wrt is a parameter name or index, or a tuple of them; got {wrt!r}")
    items = (0,) if wrt is None else (wrt,) if single else tuple(wrt)
    if not items:
        raise _refusal(func, "wrt is empty: name at least one parameter to differentiate")
    names = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise _refusal(func, f"wrt entries are parameter names or indices; got {item!r}")
        if isinstance(item, int):
            if not -len(params) <= item < len(params):
                raise _refusal(func, f"wrt index {item} is out of range: {func.__name__} has "
                                   f"{len(params)} parameters ({', '.join(params)})")
            item = params[item]
        elif item not in params and item not in hidden:
            raise _refusal(func, f"{func.__name__} has no parameter named {item!r}; its "
                               f"parameters are ({', '.join(params)})")
        if item in names:
            raise _refusal(func, f"wrt names {item!r} twice")
        names.append(item)
    if not params and not hidden:
        raise _refusal(func, f"{func.__name__} takes no parameters: there is nothing to differentiate")
    return tuple(names), single


def check_differentiable(name, value, func=None) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            check_differentiable(f"{name}[{key!r}]", item, func)
        return
    if isinstance(value, (tuple, list)):
        for k, item in enumerate(value):
            check_differentiable(f"{name}[{k}]", item, func)
        return
    check_plain_array(name, value, func)
    if isinstance(value, (bool, np.bool_)):
        raise _refusal(func, f"cannot differentiate with respect to {name}: it is a bool")
    if isinstance(value, np.ndarray) or is_duck_array(value):
        if value.dtype.kind in "iub":
            raise _refusal(func, f"cannot differentiate with respect to {name}: it is "
                               f"{'an integer' if value.dtype.kind in 'iu' else 'a boolean'} array "
                               f"(dtype {value.dtype}); pass {name}.astype(float)")
        if value.dtype.kind != "f":
            raise _refusal(func, f"cannot differentiate with respect to {name}: dtype {value.dtype} "
                               "is not a real floating type")
        return
    if isinstance(value, numbers.Real):
        return
    if is_object(value):  # its float and array fields (runtime/pytrees.py)
        for key, item in fields_of(value).items():
            if has_leaves(item):
                check_differentiable(f"{name}.{key}", item, func)
        return
    raise _refusal(func, f"cannot differentiate with respect to {name}: got {type(value).__name__}; "
                   "pass a float or a float array (numpy, or one numpy dispatches to: dask, CuPy)")


def _refusal(func, what: str) -> BadArguments:
    """BadArguments about a call of `func`, at the line where func is defined."""
    return BadArguments.at(definition_location(func) if func is not None else None, what)


def is_duck_array(value) -> bool:
    """An array numpy's functions dispatch to (NEP 18: dask, CuPy, ...), with a dtype."""
    return hasattr(type(value), "__array_function__") and hasattr(value, "dtype") \
        and hasattr(value, "shape")


def _call(read):
    """read() (operator.call, which Python 3.10 lacks)."""
    return read()


# ndarray subclasses whose operators mean something else (* is a matrix product for
# np.matrix; masked arrays skip entries): the compiled code would differentiate the
# plain-array meaning
DIFFERENT_OPERATORS = (np.matrix, np.ma.MaskedArray)


def check_plain_array(name, value, func=None) -> None:
    if isinstance(value, DIFFERENT_OPERATORS):
        kind = "np.matrix (where * is a matrix product)" if isinstance(value, np.matrix) \
            else "masked array"
        raise _refusal(func, f"{name} is a {kind}; adjoint differentiates numpy's plain arrays, "
                       f"whose operators differ: pass np.asarray({name}) (and write @ for "
                       "matrix products)")
