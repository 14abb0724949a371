"""Debuggable gradients: `check` lists, at once, everything adjoint cannot differentiate
in a function and in the functions it calls; `show --dump` and highlighting helpers.

    >>> adjoint.check(loss)                      # [] when loss differentiates
    [Problem(model.py:12:5: a with statement is not supported ...), ...]

Input: a function and `wrt`. Output: a list of `Problem`s (file, line, column, what, fix),
each function's sorted by place, the function's own first, then its callees' in the order
they are called. The compile pipeline stops at the first problem it meets; here each
stage runs per function and keeps going:

- fence: already lists every unsupported construct;
- lower: statement by statement; a statement that cannot be lowered is reported and
  replaced by an opaque stand-in (each name it assigns depends on every name it reads),
  so later statements are still lowered and checked;
- reverse: every in-place update refused (aliases.in_place_problems), every useful
  operation without a rule or whose rule does not take its arguments, every call of a
  user function that cannot be differentiated through;
- callees: each user function called on differentiable values is checked the same way,
  with the parameters that call differentiates.

When nothing is found the real compile runs too, so an empty list means `grad` compiles.
"""
from __future__ import annotations

import inspect
import operator

import gast
import numpy as np

from .. import ir
from ..reverse.calls import bind_call, differentiable_through, packed_argument_problems
from ..errors import AdjointError, NoSource, Problem, UnsupportedSyntax
from ..lowering.fence import check_supported
from ..lowering.frontend import parse_function
from ..dispatch import SCALAR_TYPES, Specializer, bind_examples, normalize_wrt
from ..lowering.lower import Lowering, namer_for
from ..lowering.structure import structure
from ..recursion import with_room
from ..reverse.sweep import ReverseSweep
from ..reverse.vjp import calls_itself, check_base_case, one_result
from ..runtime.written_calls import unwrapped
from .targets import add_target_arguments, resolve_target

def check(func, wrt=None, *example_args, has_aux: bool = False) -> list:
    """Every problem that keeps `grad(func, wrt)` from compiling, in `func` and in the
    functions it calls; [] when there is none. Example arguments, as for `source`, mark
    which parameters are scalars (default: arrays). A bad `wrt` raises BadArguments."""
    if not inspect.isfunction(func):
        try:
            parse_function(func)
        except NoSource as exc:
            return list(exc.problems)
    params = [p.name for p in inspect.signature(func).parameters.values()
              if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    wrt_names, _ = normalize_wrt(func, params, wrt)
    scalars = frozenset()
    if example_args:
        bound = bind_examples(func, example_args)
        scalars = frozenset(n for n, v in bound.arguments.items() if isinstance(v, SCALAR_TYPES)
                            and not isinstance(v, (bool, np.bool_)))
    checker = _Checker(has_aux)
    checker.run(func, wrt_names, scalars)
    if not checker.problems:  # the real compile: whatever it refuses, the list says
        try:
            spec = Specializer(func, wrt, True, False, has_aux)
            key = spec.key_of(example_args) if example_args else spec.default_key()
            spec.compile_for(key)
        except AdjointError as exc:
            checker.add(list(exc.problems) or [Problem(None, str(exc))])
    return checker.problems


def report(func, problems: list) -> str:
    """The text `adjoint check` prints: a count, then each problem with its fix."""
    name = getattr(func, "__qualname__", repr(func))
    count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
    return f"{count} in {name} and the functions it calls:\n\n" + \
        "\n\n".join(p.render() for p in problems)


class _Checker:
    def __init__(self, has_aux: bool):
        self.has_aux = has_aux
        self.problems: list = []
        self.seen: set = set()
        self.keys: set = set()

    def add(self, problems) -> None:
        for problem in problems:
            key = (problem.location, problem.what)
            if key not in self.keys:
                self.keys.add(key)
                self.problems.append(problem)

    def run(self, func, wrt_names: tuple, scalars: frozenset, call_site=None) -> None:
        """Check one function, then the functions it calls on differentiable values."""
        key = (func, wrt_names, scalars)
        if key in self.seen:
            return
        self.seen.add(key)
        found, callees = self.function(func, wrt_names, scalars, call_site)
        self.add(sorted(found, key=_place))
        for callee in callees:
            self.run(*callee)

    @with_room  # deep code, and callees checked inside their callers: see recursion.py
    def function(self, func, wrt_names, scalars, call_site):
        """(problems of func itself, [(callee, wrt, scalars, call site), ...])."""
        top = call_site is None
        try:
            parsed = parse_function(func)
        except NoSource as exc:  # (a callee's is reported at its call, see callee)
            return list(exc.problems), []
        found = []
        try:
            check_supported(parsed)
        except UnsupportedSyntax as exc:
            found += exc.problems
        fenced = [p.location for p in found if p.location]
        lowering = _CollectingLowering(parsed, fenced)
        try:
            fn = structure(lowering.run(), lowering.namer)  # (as pipeline.lower_function)
            if not top:
                fn = one_result(fn)
            ir.verify(fn)
        except AdjointError as exc:
            return found + lowering.problems + list(exc.problems), []
        except Exception:  # IR the stand-ins left unverifiable: report what was found
            if found or lowering.problems:
                return found + lowering.problems, []
            raise
        lowered_cleanly = not found and not lowering.problems
        found += lowering.problems
        if not top:
            try:
                check_base_case(fn, func)
            except AdjointError as exc:
                found += exc.problems
        more, callees = self.reverse(fn, parsed, wrt_names, scalars, lowered_cleanly, top)
        return found + more, callees

    def reverse(self, fn, parsed, wrt_names, scalars, lowered_cleanly: bool, top: bool):
        """What the reverse stage would refuse, every one of it."""
        found, callees = [], []
        wrt = [p for name in wrt_names for p in fn.params if p.name == name]
        namer = namer_for(parsed, fn)
        rev = ReverseSweep(fn, wrt, scalars, namer)
        *forward, ret = fn.body
        results = [ret.value]
        if top:  # grad needs a scalar output (a callee may return anything)
            try:
                results = [rev.result_of(ret, self.has_aux)[0]]
            except AdjointError as exc:
                if lowered_cleanly:  # (a stand-in may have replaced the return)
                    found += exc.problems
                results = list(ret.value.elts) if isinstance(ret.value, ir.TupleExpr) else []
        rev.analyze(forward, results)
        found += rev.in_place_problems()
        for stmt in ir.walk(forward):
            if not rev.needs_gradient(stmt):
                continue
            try:
                rev.check_complex(stmt)
            except AdjointError as exc:
                found += exc.problems
                continue
            if differentiable_through(stmt.value):
                found += self.callee(rev, stmt, callees)
                continue
            try:
                rev.check_rule(stmt)
            except AdjointError as exc:
                found += exc.problems
        return found, callees

    def callee(self, rev, stmt, callees: list) -> list:
        """A call of a user function: its arguments must fit, then it is checked too."""
        try:
            bound = bind_call(rev, stmt)
        except AdjointError as exc:
            return list(exc.problems)
        func, wrt, scalars = unwrapped(bound.func)[0], bound.wrt, bound.scalars
        try:
            parse_function(func)
        except NoSource as exc:
            what = exc.problems[0].what if exc.problems else str(exc)
            return [Problem(stmt.origin, f"cannot differentiate through the function called "
                            f"here: {what}", "define it with def in a .py file, or give it "
                            "a rule with @adjoint.rule")]
        found = packed_argument_problems(bound, stmt.origin)
        if calls_itself(func):  # as compile_vjp: one pair for all parameters
            wrt = tuple(p.name for p in inspect.signature(func).parameters.values()
                        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))
            scalars = frozenset()
        callees.append((func, wrt, scalars, stmt.origin))
        return found


def _place(problem: Problem):
    loc = problem.location
    return (0, loc.filename, loc.line, loc.col) if loc else (1, "", 0, 0)


class _CollectingLowering(Lowering):
    """The lowering, going on past a statement it cannot lower: the problem is kept and
    the statement becomes a stand-in. Errors inside statements the fence already
    reported are not repeated."""

    def __init__(self, parsed, fenced: list):
        super().__init__(parsed, True)
        self.fenced = fenced
        self.problems: list = []
        self.failed: set = set()  # nested functions whose definition could not be lowered

    def block(self, statements) -> list:
        saved, self.body = self.body, []
        mine = self.body
        for stmt in statements:
            saved_origin, self.origin = self.origin, self.parsed.location(stmt)
            mark, depth = len(mine), self.loop_depth
            try:
                self.statement(stmt)
            except Exception as exc:  # noqa: BLE001  (re-raised below unless expected)
                if not isinstance(exc, AdjointError) and not self.reported(stmt):
                    raise
                self.body, self.loop_depth = mine, depth
                del mine[mark:]
                if not self.reported(stmt) and not self.uses_failed(stmt):
                    self.problems += list(exc.problems) or [Problem(self.origin, str(exc))]
                self.stand_in(stmt)
            self.origin = saved_origin
            if isinstance(stmt, (gast.Return, gast.Break, gast.Continue)):
                break
        block, self.body = mine, saved
        return block

    def uses_failed(self, stmt) -> bool:
        """Does it call a nested function whose definition was refused (a consequence)?"""
        return any(isinstance(n, gast.Name) and n.id in self.failed for n in gast.walk(stmt))

    def reported(self, stmt) -> bool:
        first, last = stmt.lineno, getattr(stmt, "end_lineno", None) or stmt.lineno
        return any(loc.filename == self.parsed.filename and first <= loc.line <= last
                   for loc in self.fenced)

    def stand_in(self, stmt) -> None:
        """x, y = <unlowerable>  ->  x = y = (every name it reads, added up)."""
        read = sorted({n.id for n in gast.walk(stmt) if isinstance(n, gast.Name)
                       and isinstance(n.ctx, gast.Load) and n.id in self.current})
        value = ir.Const(0.0)
        for name in read:
            value = self.atom_of(ir.BinOp(operator.add, value, self.current[name]))
        if isinstance(stmt, gast.FunctionDef):
            self.failed.add(stmt.name)
            return
        if isinstance(stmt, gast.Return):
            self.body.append(ir.Return(value, self.origin))
            return
        stored = sorted({n.id for n in gast.walk(stmt) if isinstance(n, gast.Name)
                         and isinstance(n.ctx, gast.Store)})
        for name in stored:
            self.assign_name(name, ir.BinOp(operator.add, value, ir.Const(0.0)), self.origin)


# adjoint check FILE.py:FUNC --------------------------------------------------------------
def add_check(commands) -> None:
    parser = commands.add_parser(
        "check", help="list everything adjoint cannot differentiate in a function and the "
        "functions it calls, each with its place and fix (exit 1 if anything is found)")
    add_target_arguments(parser)


def run_check(args) -> str:
    func, wrt, examples = resolve_target(args)
    problems = check(func, wrt, *examples)
    if problems:  # main prints the report and exits 1
        raise AdjointError(report(func, problems), tuple(problems))
    return f"{func.__qualname__}: no problems found\n"
