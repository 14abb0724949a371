"""Dispatch: one compiled gradient per signature of argument types, picked on each call.

`Specializer` compiles (through adjoint/pipeline.py) and caches one gradient per tuple of
argument types, and for each writes an entry (entry.py): f's own signature, an inline
check that the argument types are those and that nothing the code was compiled against
has been rebound (guards.py: free names, f's `__code__`, module attributes, functions
called through), then the generated statements themselves. `dispatcher`, what grad()
returns (api.py), passes each call on to the current entry: a plain function, because
Python calls a function from a function without building an argument tuple (a callable
object, a functools.partial subclass, costs ~10% of a small scalar gradient's call).
A call no entry accepts takes the slow path: holding the compile lock, it looks
up or compiles the code and publishes that entry by one assignment, so threads see the
old entry or the new one (each checks its own guards). Any exception other than an
AdjointError raised while compiling is a bug in adjoint: it reaches the user as an
`InternalError` naming the function and its line.
`normalize_wrt` and `parameters` read what the user asked for.
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import numbers
import re

import numpy as np

from .backends import check_backend
from .errors import AdjointError, BadArguments, InternalError, NonScalarOutput
from .collector import fewer_collections
from .entry import EntryWriter, guard_checks, type_checks, valid_check
from .guards import CellTable, code_guard, is_stale, merged
from .lowering.frontend import MISSING, definition_location, parse_function
from .lowering.identifiers import assigned_names, body_names
from .lowering.statics import (argument_key, key_ranks, kind_of, packed_argument, ranks_key,
                               spread_names, static_defaults)
from .pipeline import (COMPILE_LOCK, Compiled, compile_forward, compile_gradient, forward_guards,
                       pair_guards)
from .runtime.debug import check_finite_default, internal_error, note_origin
from .runtime.python import left_open
from .runtime.pytrees import fields_of, has_leaves, is_object

SCALAR_TYPES = (int, float, np.integer, np.floating)
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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
        self.spread, self.passed = spread_names(parsed.node, parsed.nodes())
        # names the body reads (annotations, defaults and decorators were evaluated once)
        self.free_names = sorted(body_names(parsed.node) - assigned_names(parsed.node))
        self.parsed, self.code = parsed, func.__code__
        # the free names the dispatcher's own text checks: (table, name), fixed from now on
        self.inline = [(CellTable(parsed.closure[n]) if n in parsed.closure else parsed.globals, n)
                       for n in self.free_names]
        self.expected = None  # what the free names read when the caches were filled
        self.cache: dict = {}  # argument types -> (entry, guards it checks)
        self.compiled: dict = {}  # argument types -> Compiled
        self.by_impl: dict = {}  # id(generated function) -> its Compiled
        self.last = None  # the Compiled that ran last
        self.example_statics: dict = {}  # key -> statics, for source() and the CLI
        self.on_run = None  # called with self when the code calls run changed (api.py: .source)
        self.ns: dict = {}
        self.prefix = private_prefix(self.params + [parsed.node.name])
        self.writer = EntryWriter(func, parsed.node.name, self.slow_call, self.located)
        # before the first call, and for arguments no type check can tell apart (callables,
        # objects): the slow path each call, behind f's own signature (Python's TypeError
        # for a wrong call)
        self.unchecked = self.writer.write(self.prefix, ["False"], self.slow_call)
        self.dispatcher = self._make_dispatcher()

    @property
    def state(self):
        """The entry calls go to now (entry.py): the one the last call published."""
        return self.ns[self.prefix + "current"]

    # dispatch ----------------------------------------------------------------------
    def _make_dispatcher(self):
        """A function with f's own signature (less the object a method is bound to)
        passing each call on to the current entry."""
        P, bound = self.prefix, len(self.bound)
        self.ns.update({P + "current": self.unchecked})
        self.ns.update({f"{P}bound{k}": obj for k, obj in enumerate(self.bound)})
        text = self.writer.front_text(P, bound)
        exec(compile(text, f"<adjoint dispatch {self.func.__qualname__}>", "exec"), self.ns)
        dispatcher = self.ns[self.writer.name]
        defaults = getattr(self.func, "__defaults__", None) or ()
        positional = dispatcher.__code__.co_argcount
        dispatcher.__defaults__ = defaults[max(0, len(defaults) - positional):] or None
        dispatcher.__kwdefaults__ = getattr(self.func, "__kwdefaults__", None)
        return dispatcher

    def _publish(self, entry) -> None:
        """Make `entry` what calls reach, by one assignment (threads see the old entry or
        the new one, and each checks its own guards)."""
        self.ns[self.prefix + "current"] = entry

    def _ran(self, compiled) -> None:
        """`compiled` (None: nothing yet) is the code calls run now."""
        self.last = compiled
        if self.on_run is not None:
            self.on_run(self)

    def slow_call(self, *args, **kwargs):
        """A call no entry's checks accepted: find or compile the code and run it."""
        impl = self.slow_path(*args, **kwargs)
        try:
            return impl(*args, **kwargs)
        except NonScalarOutput as error:
            raise self.located(error, impl) from None
        except Exception as error:
            left_open(error)
            note_origin(error)
            bug = internal_error(error)
            if bug is not None:
                raise bug from error
            raise

    def slow_path(self, *args, **kwargs):
        """New argument types, or something rebound: find or compile the code, publish
        its entry, and return the generated function."""
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
            compiled = self.compiled[key]
            self._check_inputs(values)  # before publishing: a refused argument gets no entry
            # with a callable or object argument no entry's type check can tell the key:
            # each call comes here
            self._publish(self.unchecked if _beyond_lengths(statics) else entry[0])
            self._ran(compiled)
        return compiled.function

    def _specialize(self, key, statics=None):
        """Compile for these argument types; their entry, and the guards it checks."""
        compiled = self.compile_for(key, statics)
        inner = forward_guards([self.derived_from]) if self.inner is not None else []
        guards = merged([(t, n, v) for (t, n), v in zip(self.inline, self.expected)],
                        [code_guard(self.func)], compiled.guards,
                        pair_guards(compiled.callees) + inner)
        self.by_impl[id(compiled.function)] = compiled
        entry = None if _beyond_lengths(statics) else self._write_entry(key, compiled, guards)
        self.cache[key] = (entry, guards)
        return entry, guards

    @fewer_collections  # parsing the generated text again makes many objects: collector.py
    def _write_entry(self, key, compiled, guards):
        prefix, types_, fresh, scope = self.entry_checks(key, compiled, guards)
        impl = compiled.function
        body = (compiled.source, impl.__code__.co_filename) if compiled.backend == "python" else None
        return self.writer.write(prefix, types_ + fresh, impl, body, scope)

    def entry_checks(self, key, compiled, guards) -> tuple:
        """(prefix, type checks, guard checks, the names they read) of the entry for `key`
        (also read by benchmarks/overhead.py)."""
        names = self.params + [self.writer.name]
        if compiled.backend == "python":  # the generated statements share the entry's names
            names += list(compiled.function.__globals__) + IDENTIFIER.findall(compiled.source)
        prefix = private_prefix(names)
        wrt = {name: valid_check(functools.partial(check_differentiable, name, func=self.func))
               for name in self.wrt_names}
        packed = {name: functools.partial(_packed_key, spread=name in self.spread)
                  for name in self.spread | self.passed}
        types_, scope = type_checks(prefix, self.writer.params, key, SCALAR_TYPES, wrt, packed)
        fresh, more = guard_checks(prefix, guards)
        return prefix, types_, fresh, scope | more

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
        self._ran(None)

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
                ranks = {n: r for n, r in zip(self.params, key_ranks(key)) if r is not None}
                self.compiled[key] = compile_gradient(self.func, self.wrt_names, scalars,
                                                      number_types=number_types,
                                                      ranks=ranks | dict.fromkeys(scalars, 0),
                                                      return_value=self.return_value,
                                                      optimize=self.optimize, single=self.single,
                                                      has_aux=self.has_aux, check_finite=check,
                                                      backend=self.backend, statics=statics)
            return self.compiled[key]

    def current_source(self) -> str:
        """The code that ran last; before any call, the code for array arguments."""
        if self.last is not None:
            return self.last.source
        return self.compile_for(self.default_key()).source

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
    return tuple(argument_key(v) for v in values) + ranks_key(values)


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
