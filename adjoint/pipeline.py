"""The pipeline: every compile runs these stages, in this order, here and nowhere else.

    parse (lowering/frontend) -> fence -> lower -> structure -> verify        lower_function
      -> reverse (reverse/sweep; each user function it calls through comes back
         here as a callee: compile_callee)
      -> passes.optimize -> codegen -> load (exec of exactly that text)     compile_gradient

`compile_gradient` compiles one function for one `wrt` and one set of scalar parameters
and returns a `Compiled`. `compile_callee` compiles a function called through into a
cached forward/backward pair (a `VJP`, see reverse/vjp.py). `adjoint check`, `show --dump`
and `graph` use `lower_function` and the stage list from here too.

Forward mode (adjoint.jvp and the higher derivatives) runs the same front half with the
forward sweep (forward/sweep.py) in place of the reverse one:

    lower_function -> forward sweep (each user function it calls through comes back here:
      compile_jvp_callee) -> passes.optimize -> codegen -> load         compile_forward

Forward code is exec'd from exactly the text shown (registered in linecache), so the
frontend can read it back and differentiate it again: reverse over forward for
Hessian-vector products, forward over forward for higher derivatives.

Compiling is serialized by one lock: callees are cached across gradients, and a pair half
compiled by one thread must never be seen by another.
"""
from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from . import backends, codegen, ir, loader, passes
from .codegen import Pending
from .errors import BadArguments, Location, NoSource, UnsupportedSyntax
from .forward.sweep import forward
from .guards import code_guard, guards_of, is_stale
from .lowering.fence import check_supported
from .lowering.frontend import Parsed, definition_location, parse_function
from .lowering.lower import Lowering, namer_for
from .lowering.statics import statics_key
from .lowering.structure import structure
from .names import Namer
from .collector import fewer_collections
from .recursion import with_room
from .reverse.sweep import differentiate
from .lowering.written import returning_written
from .runtime.written_calls import unwrapped
from .reverse.vjp import (VJP, calls_itself, check_base_case, one_result, pair_name, parameter_names,
                          split_vjp)

COMPILE_LOCK = threading.RLock()


@dataclass
class Lowered:
    parsed: Parsed
    fn: ir.Function  # structured, verified SSA IR

    def namer(self, extra=()) -> Namer:
        """Names for what later stages add, avoiding every name the function uses."""
        return namer_for(self.parsed, self.fn, extra)


@dataclass
class Compiled:
    source: str
    function: object  # the live generated function
    return_location: Location | None
    stages: Mapping  # stage name -> IR text, for dumps (printed when first asked for)
    callees: list = field(default_factory=list)  # VJPs of functions differentiated through
    guards: tuple = ()  # what the code assumed: free names, module attributes (guards.py)
    check_finite: bool = False  # compiled with a finite check after each backward assignment
    backend: str = "python"  # what runs the code: exec of the text, or numba (backends/)


def lower_function(func=None, parsed: Parsed | None = None, statics: dict | None = None) -> Lowered:
    """The front half: source -> structured, verified SSA IR. `statics`: parameter name ->
    the callable or object passed for it (see lowering/statics.py)."""
    parsed = parse_function(func) if parsed is None else parsed
    check_supported(parsed)
    lowering = Lowering(parsed, statics=statics)
    fn = structure(lowering.run(), lowering.namer)
    ir.verify(fn)
    return Lowered(parsed, fn)


@fewer_collections  # see collector.py
@with_room  # deep code (long expressions) may need a higher recursion limit: see recursion.py
def compile_gradient(func, wrt_names: tuple, scalar_params: frozenset, *,
                     return_value: bool, optimize: bool = True, single: bool = True,
                     has_aux: bool = False, check_finite: bool = False,
                     backend: str = "python", statics: dict | None = None,
                     number_types: dict | None = None, ranks: dict | None = None) -> Compiled:
    """`ranks`: parameter name -> ndim, for the arguments whose ndim the entry checks."""
    with COMPILE_LOCK:
        refuse_check_finite(backend, check_finite, func)
        lowered = lower_function(func, statics=statics)
        fn = lowered.fn
        stages = {"lower": fn}
        wrt = [next(p for p in fn.params if p.name == name) for name in wrt_names]
        read = []  # user functions whose code the callees' rank facts read
        callee = callee_compiler(optimize, check_finite, backend, ranks, read)
        grad_fn, callees = differentiate(fn, wrt, scalar_params, lowered.namer(), return_value, single,
                                         has_aux=has_aux, compile_callee=callee,
                                         number_types=number_types)
        stages["reverse"] = grad_fn
        relied = []  # user functions whose code the Python-float facts read
        if optimize:
            grad_fn = passes.optimize(grad_fn)
            if backend == "python":  # (numba compiles the helpers' own variants)
                grad_fn = passes.resolve_matmul_helpers(grad_fn, ranks or {})
            grad_fn, relied = passes.python_floats(grad_fn, number_types or {}, lower_function)
            stages["optimize"] = grad_fn
        prefix = "value_and_grad_" if return_value else "grad_"
        grad_fn = replace(grad_fn, name=prefix + fn.name)
        ir.verify(grad_fn)
        header = f"# gradient of {fn.name} with respect to {', '.join(wrt_names)}"
        generated = codegen.generate(grad_fn, header, check_finite)
        if backend == "python":
            source = generated.source
            function = loader.load(source, grad_fn.name, generated.namespace, generated.origins)
            function.__defaults__ = getattr(func, "__defaults__", None)
            function.__kwdefaults__ = getattr(func, "__kwdefaults__", None)
        else:
            source, functions = backends.compile_functions(backend, generated, [grad_fn], grad_fn.name,
                                                           func, entry=True)
            function = backends.entry_point(backend, functions[grad_fn.name], fn.name)
        return Compiled(source, function, fn.body[-1].origin, StageTexts(stages),
                        callees, guards_of(lowered.parsed, fn) + read_code_guards(relied + read),
                        check_finite, backend)


def read_code_guards(relied: list) -> tuple:
    """Guards for user functions whose code a compile read but does not call through (the
    Python-float facts, passes/float_kinds.py; the ranks of callees' arguments and
    results, passes/callee_ranks.py): their code, free names and module attributes."""
    return tuple(g for known in relied
                 for g in guards_of(known.parsed, known.fn) + (code_guard(known.parsed.func),))


class StageTexts(Mapping):
    """Stage name -> the IR's text, printed on first use: printing every stage of every
    compile took as long as the rest of the compile, and only dumps read them. The IR
    is not changed after its stage (passes build new statements), so the text is the
    stage's."""

    def __init__(self, stages: dict):
        self.stages = dict(stages)
        self.texts: dict = {}

    def __getitem__(self, name: str) -> str:
        if name not in self.texts:
            self.texts[name] = codegen.function_source(self.stages[name])
        return self.texts[name]

    def __iter__(self):
        return iter(self.stages)

    def __len__(self) -> int:
        return len(self.stages)


def refuse_check_finite(backend: str, check_finite: bool, func) -> None:
    if check_finite and backend != "python":
        raise BadArguments.at(definition_location(func), f"check_finite is not available with "
                              f"backend={backend!r}", "drop check_finite (or unset "
                              "ADJOINT_CHECK_FINITE), or use the default backend")


# functions called through ---------------------------------------------------------------
_CALLEES: dict = {}  # (function, wrt, scalars, optimize, check_finite) -> VJP
_IN_PROGRESS: dict = {}  # function -> the VJP (of Pending halves) being compiled, in order


def forget_callees() -> None:
    """Drop every cached pair (a function called through, or a global, changed)."""
    with COMPILE_LOCK:
        _CALLEES.clear()


def cached_callees() -> list:
    """[(key, VJP)] of every pair compiled so far, oldest first."""
    with COMPILE_LOCK:
        return list(_CALLEES.items())


def callee_compiler(optimize: bool, check_finite: bool = False, backend: str = "python",
                    ranks: dict | None = None, read: list | None = None):
    """What the reverse sweep calls for each user function it differentiates through.
    `ranks`: the caller's parameter name -> ndim, where known (see passes/callee_ranks.py);
    the functions whose code those rank facts read are added to `read` (to be guarded)."""
    facts: dict = {}  # id of the caller's IR -> (it, what its expressions' ranks are)

    def compile_callee(func, wrt_names: tuple, scalar_params: frozenset, call_site: Location | None,
                       statics: dict | None = None, caller: ir.Function | None = None,
                       arguments: dict | None = None):
        known = {}
        if ranks and optimize and backend == "python" and caller is not None and arguments:
            if id(caller) not in facts:
                facts[id(caller)] = caller, passes.argument_ranks(caller, ranks, callee_ranks(read))
            rank_of = facts[id(caller)][1]
            known = {p: rank_of(a) for p, a in arguments.items() if isinstance(a, (ir.Var, ir.Subscript))}
        return compile_callee_pair(func, wrt_names, scalar_params, optimize, call_site, check_finite,
                                   backend, statics, {p: r for p, r in known.items() if r is not None})
    return compile_callee


def callee_ranks(read: list | None) -> passes.CalleeRanks:
    """What the ranks pass knows of the user's functions; each one whose code it reads is
    added to `read`: the facts hold while that code does (read_code_guards)."""
    def lower(func):
        lowered = lower_function(func)
        if read is not None:
            read.append(lowered)
        return one_result(lowered.fn)
    return passes.CalleeRanks(lower)


@fewer_collections  # see collector.py
@with_room  # a chain of callees compiles each inside its caller: see recursion.py
def compile_callee_pair(func, wrt_names: tuple, scalar_params: frozenset, optimize: bool,
                        call_site: Location | None = None, check_finite: bool = False,
                        backend: str = "python", statics: dict | None = None,
                        ranks: dict | None = None) -> VJP:
    """`ranks`: parameter name -> ndim, which the caller proved its arguments have."""
    with COMPILE_LOCK:
        called, written = unwrapped(func)  # h, or h also returning what it writes into
        try:
            parsed = parse_function(called)
        except NoSource as exc:
            raise NoSource.at(call_site, f"cannot differentiate through the function called "
                              f"here: {exc.problems[0].what if exc.problems else exc}",
                              "define it with def in a .py file, or give it a rule with "
                              "@adjoint.rule") from None
        if written:
            parsed = returning_written(parsed, written)
        statics = statics or {}
        if func in _IN_PROGRESS:
            if next(reversed(_IN_PROGRESS)) is func:  # a recursive call: the pair being compiled
                if _IN_PROGRESS[func].statics != statics_key(statics):
                    raise UnsupportedSyntax.at(call_site, f"{parsed.node.name} calls itself with a "
                                               "different function or object argument",
                                               "pass the same one at every level")
                return _IN_PROGRESS[func]
            raise UnsupportedSyntax.at(call_site, f"{parsed.node.name} is part of a cycle of "
                                       "functions calling each other, which adjoint cannot "
                                       "differentiate yet", "give one of them a rule with @adjoint.rule")
        if calls_itself(called):  # one pair for every level: all arguments, generic shapes
            wrt_names = parameter_names(parsed)
            scalar_params = frozenset()
            ranks = {}
        ranks = ranks or {}
        key = (func, wrt_names, scalar_params, optimize, check_finite, backend, statics_key(statics),
               tuple(sorted(ranks.items())))
        if key in _CALLEES and not pair_is_stale(_CALLEES[key]):
            return _CALLEES[key]
        name = pair_name(parsed, wrt_names, scalar_params, statics, written)
        fwd, bwd = Pending(f"fwd_{name}"), Pending(f"bwd_{name}")
        _IN_PROGRESS[func] = VJP(parsed.node.name, ir.Ref(fwd.name, fwd, (), fwd),
                                 ir.Ref(bwd.name, bwd, (), bwd), wrt_names,
                                 statics=statics_key(statics))
        try:
            vjp = _build_pair(parsed, called, name, wrt_names, scalar_params, optimize, check_finite,
                              backend, statics, ranks)
        finally:
            del _IN_PROGRESS[func]
        _CALLEES[key] = vjp
        return vjp


def _build_pair(parsed, func, name, wrt_names, scalar_params, optimize, check_finite,
                backend="python", statics=None, ranks=None) -> VJP:
    lowered = lower_function(parsed=parsed, statics=statics)
    fn = one_result(lowered.fn)
    ir.verify(fn)
    check_base_case(fn, func)
    wrt = [next(p for p in fn.params if p.name == n) for n in wrt_names]
    namer = namer_for(parsed, fn, {"saved", f"fwd_{name}", f"bwd_{name}"})
    seed = ir.Var(namer.fresh("grad_value"), ir.Kind.PARAM)
    read = []  # user functions whose code the rank facts read (guarded with the pair)
    combined, callees = differentiate(fn, wrt, scalar_params, namer, True, False, seed=seed,
                                      compile_callee=callee_compiler(optimize, check_finite, backend, ranks,
                                                                     read))
    if optimize:
        combined = passes.optimize(combined)
        if ranks and backend == "python":
            out_rank = passes.return_rank(fn, ranks, callee_ranks(read))
            combined = passes.resolve_in_callee(combined, ranks, seed, out_rank, callee_ranks(read))
    fwd, bwd = split_vjp(combined, seed, f"fwd_{name}", f"bwd_{name}")
    if optimize and backend == "python":  # (numba's rewrite of separate wants it there)
        bwd = passes.hand_back_fresh(bwd)
    ir.verify(fwd)
    header = (f"# {fn.name}, differentiated through: forward keeps what the backward needs;\n"
              f"# backward gives the gradients of {', '.join(wrt_names) or 'nothing'}")
    generated = codegen.generate([fwd, bwd], header, check_finite)
    label, source = f"{fwd.name}, {bwd.name}", generated.source
    if backend == "python":
        functions = loader.load_module(source, label, generated.namespace, generated.origins)
        functions[fwd.name].__defaults__ = getattr(func, "__defaults__", None)
        functions[fwd.name].__kwdefaults__ = getattr(func, "__kwdefaults__", None)
    else:
        source, functions = backends.compile_functions(backend, generated, [fwd, bwd], label, func)
    make = lambda name: ir.Ref(name, functions[name], (), functions[name])  # noqa: E731
    return VJP(fn.name, make(fwd.name), make(bwd.name), wrt_names,
               source, guards_of(parsed, fn) + (code_guard(func),) + read_code_guards(read), callees)


def pair_is_stale(vjp: VJP) -> bool:
    """Whether anything a cached pair, or a pair it calls, was compiled against changed."""
    return is_stale(pair_guards([vjp]))


def pair_guards(callees) -> list:
    """The guards of these pairs and of every pair they call, each pair once."""
    seen, out, pending = set(), [], list(callees)
    while pending:  # a worklist: call chains can be deeper than Python's recursion limit
        vjp = pending.pop()
        if id(vjp) not in seen:
            seen.add(id(vjp))
            out += vjp.guards
            pending += vjp.callees
    return out


# forward mode -----------------------------------------------------------------------------
FORWARD_PREFIX = {"pair": "jvp_", "tangent": "tangent_", "unit": "grad_"}


@dataclass
class ForwardCompiled:
    source: str
    function: object  # the live generated function; .dot_names: its tangent parameters
    wrt: tuple
    callees: list = field(default_factory=list)  # ForwardCompiled of the functions called through
    guards: tuple = ()


@fewer_collections  # see collector.py
def compile_forward(func, wrt_names: tuple, scalar_params: frozenset = frozenset(), *,
                    mode: str = "pair", optimize: bool = True, name: str | None = None,
                    parsed: Parsed | None = None) -> ForwardCompiled:
    """mode "pair": (value, tangent); "tangent": the tangent; "unit": d f / d wrt of a
    scalar wrt (what grad f computes, for grad of grad)."""
    with COMPILE_LOCK:
        lowered = lower_function(func, parsed)
        fn = lowered.fn
        wrt = [next(p for p in fn.params if p.name == n) for n in wrt_names]
        out, callees = forward(fn, wrt, scalar_params, lowered.namer({name} if name else ()), mode,
                               compile_jvp_callee)
        if optimize:
            out = passes.optimize(out)
        out = replace(out, name=name or FORWARD_PREFIX[mode] + fn.name)
        ir.verify(out)
        along = ", ".join(wrt_names) or "nothing"
        header = {"pair": f"# forward mode (jvp) of {fn.name}: its value, and its tangent along {along}",
                  "tangent": f"# forward mode (jvp) of {fn.name}: its tangent along {along}",
                  "unit": f"# d{fn.name}/d{along}, by forward mode"}[mode]
        generated = codegen.generate(out, header)
        function = loader.load(generated.source, out.name, generated.namespace, generated.origins)
        dots = out.params[len(fn.params):]
        copy_defaults(func, function, dots, fn.kwonly)
        function.dot_names = [p.name for p in dots]  # callers pass tangents by keyword
        return ForwardCompiled(generated.source, function, wrt_names, callees,
                               guards_of(lowered.parsed, fn) + (code_guard(func),))


def copy_defaults(func, function, dots: list, kwonly: int) -> None:
    """f's defaults; tangent parameters after defaulted ones get None (never used: the
    generated callers always pass them)."""
    defaults = getattr(func, "__defaults__", None)
    kwdefaults = getattr(func, "__kwdefaults__", None)
    if dots and kwonly and kwdefaults:
        kwdefaults = dict(kwdefaults, **{d.name: None for d in dots})
    elif dots and defaults:
        defaults = defaults + (None,) * len(dots)
    function.__defaults__ = defaults
    function.__kwdefaults__ = kwdefaults


_JVP_CALLEES: dict = {}  # (function, wrt, scalars) -> (ir.Ref to jvp_<f>, its ForwardCompiled)
_JVP_IN_PROGRESS: dict = {}  # function -> (Ref to its Pending forward function, wrt, None)


def compile_jvp_callee(func, wrt: tuple, scalars: frozenset, call_site: Location | None):
    """What the forward sweep calls for each user function it differentiates through:
    (Ref to its forward function jvp_<f>, the parameters it takes tangents for, its
    ForwardCompiled, or None for a recursive call of the function being compiled)."""
    with COMPILE_LOCK:
        try:
            parsed = parse_function(func)
        except NoSource as exc:
            raise NoSource.at(call_site, "cannot differentiate through the function called here: "
                              f"{exc.problems[0].what if exc.problems else exc}",
                              "define it with def in a .py file, or give it a rule with "
                              "@adjoint.rule") from None
        if func in _JVP_IN_PROGRESS:
            if next(reversed(_JVP_IN_PROGRESS)) is func:
                return _JVP_IN_PROGRESS[func]
            raise UnsupportedSyntax.at(call_site, f"{parsed.node.name} is part of a cycle of "
                                       "functions calling each other, which adjoint cannot "
                                       "differentiate yet", "give one of them a rule with @adjoint.rule")
        if calls_itself(func):  # one forward function for every level: tangents for all
            wrt = parameter_names(parsed)
            scalars = frozenset()
        key = (func, wrt, scalars)
        if key not in _JVP_CALLEES or is_stale(forward_guards([_JVP_CALLEES[key][2]])):
            name = "jvp_" + parsed.node.name + ("" if wrt == parameter_names(parsed)
                                                else "_" + "_".join(wrt))
            pending = Pending(name)
            _JVP_IN_PROGRESS[func] = (ir.Ref(name, pending, (), pending), wrt, None)
            try:
                compiled = compile_forward(func, wrt, scalars, mode="pair", name=name, parsed=parsed)
            finally:
                del _JVP_IN_PROGRESS[func]
            _JVP_CALLEES[key] = (ir.Ref(name, compiled.function, (), compiled.function), wrt, compiled)
        return _JVP_CALLEES[key]


def forward_guards(compiled) -> list:
    """The guards of these forward functions and of every one they call, each once."""
    seen, out, pending = set(), [], [c for c in compiled if c is not None]
    while pending:
        item = pending.pop()
        if id(item) not in seen:
            seen.add(id(item))
            out += item.guards
            pending += [c for c in item.callees if c is not None]
    return out
