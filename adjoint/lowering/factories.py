"""Functions returned by a function: `f = make_scale(c)` where make_scale defines a nested
function and returns it. A mixin of the lowering (`lower.Lowering`).

The factory's body is inlined where it is called (its parameters bound to the arguments,
its names renamed apart), and `f` names the function it returned, which is inlined
where `f` is called, like any nested function:

    def make_scale(c):              f = make_scale(3.0 * a)   ->   c = 3.0 * a
        def scale(x):               y = f(x)                       y = c * x
            return c * x
        return scale

Only the plain shape is inlined: definitions and assignments, then `return name`; the
names the factory reads from its module must mean the same objects in the caller's.
Anything else stays a call of a value known only when the code runs (refused there).
"""
from __future__ import annotations

import inspect

import gast

from ..errors import NoSource
from ..origin import is_user_code
from ..rules.registry import is_nondiff, lookup
from .fence import check_supported
from .frontend import MISSING, parse_function, resolve_free_name
from .local import renamed


class FactoryLowering:
    def factory_result(self, target: str, call: gast.Call) -> bool:
        """Inline `target = factory(...)` if factory returns a function it defines."""
        factory = self.known_callee(call.func) if isinstance(call.func, gast.Name) else None
        if not (inspect.isfunction(factory) and is_user_code(factory) and lookup(factory) is None
                and not is_nondiff(factory)) or not any(inspect.iscode(c) for c in factory.__code__.co_consts):
            return False
        try:
            parsed = parse_function(factory)
        except NoSource:
            return False
        shape = _factory_shape(parsed.node)
        if shape is None or not self.same_free_names(parsed, shape):
            return False
        check_supported(parsed)
        body, params, top = shape
        renames = {name: self.namer.fresh(name) for name in sorted(top)}
        self.free[call.func.id] = factory  # guarded: redefining the factory compiles again
        for param, value in self.bind_call(parsed.node, call, params):
            self.assign_name(renames[param], value, self.at(call))
        saved, self.parsed = self.parsed, parsed
        try:
            for stmt in body[:-1]:
                stmt = renamed(stmt, renames)
                if isinstance(stmt, gast.FunctionDef):
                    stmt.name = renames[stmt.name]
                    stmt.adjoint_parsed = parsed  # its lines are the factory's (see local.py)
                self.statement(stmt)
        finally:
            self.parsed = saved
        self.local_functions[target] = self.local_functions[renames[body[-1].value.id]]
        return True

    def passes_local_function(self, call: gast.Call) -> bool:
        """Does this call pass a function defined here (a nested def, f = lambda ...)?"""
        return any(isinstance(a, gast.Name) and a.id in self.local_functions
                   for a in list(call.args) + [k.value for k in call.keywords])

    def inline_with_functions(self, call: gast.Call):
        """rk4(f, y, dt) where f is defined here: rk4 (a function of the user's) is inlined
        where it is called, so that f, which may read this function's variables, is
        inlined where rk4 calls it. None when rk4 cannot be inlined."""
        callee = self.known_callee(call.func) if isinstance(call.func, gast.Name) else None
        if not (inspect.isfunction(callee) and is_user_code(callee) and lookup(callee) is None):
            return None
        parsed = parse_function(callee)
        check_supported(parsed)
        node = parsed.node
        returns = [n for n in gast.walk(node) if isinstance(n, gast.Return)]
        if node.args.vararg or node.args.kwarg or any(r is not node.body[-1] for r in returns) \
                or node.decorator_list:
            raise self.unsupported(call, f"passing a function defined here to {node.name}, which "
                                   "returns before its end or takes *args", "define the function "
                                   "at module level (or bind values with functools.partial)")
        params = [a.id for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
        stored = {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
                  and isinstance(n.ctx, gast.Store)}
        if not self.same_free_names(parsed, (node.body, params, set(params) | stored)):
            raise self.unsupported(call, f"inlining {node.name}, which reads names that mean "
                                   "other things here", "define the function passed at module level")
        node.adjoint_parsed = parsed  # its lines and names are its own file's
        self.free[call.func.id] = callee  # guarded: redefining it compiles again
        return self.inline_call(node, call)

    def same_free_names(self, parsed, shape) -> bool:
        """Every name the factory reads from its module means the same object here, and no
        local of the caller has that name."""
        body, params, top = shape
        inner = {n.id for s in body for n in gast.walk(s) if isinstance(n, gast.Name)} - top
        for name in inner:
            if name in self.current or name in self.assigned or name in self.local_functions:
                if name not in _locals_of_nested(body):
                    return False
                continue
            if name in _locals_of_nested(body):
                continue
            theirs = resolve_free_name(parsed, name)
            if theirs is MISSING or resolve_free_name(self.parsed, name) is not theirs:
                return False
        return True


def _factory_shape(node):
    """(body, parameters, factory-level names) when the function only defines and assigns
    and then returns a function it defined; else None."""
    body = list(node.body)
    if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant):
        body = body[1:]  # a docstring
    if not body or not isinstance(body[-1], gast.Return) or not isinstance(body[-1].value, gast.Name):
        return None
    args = node.args
    if args.vararg or args.kwarg or node.decorator_list:
        return None
    if any(not isinstance(d, gast.Constant) for d in args.defaults + [d for d in args.kw_defaults if d]):
        return None
    defined = set()
    for stmt in body[:-1]:
        if isinstance(stmt, gast.FunctionDef) and not stmt.decorator_list:
            defined.add(stmt.name)
        elif isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name):
            if isinstance(stmt.value, gast.Lambda):
                defined.add(stmt.targets[0].id)
        else:
            return None
    if body[-1].value.id not in defined:
        return None
    params = [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]
    top = set(params) | {s.name for s in body[:-1] if isinstance(s, gast.FunctionDef)} | \
        {s.targets[0].id for s in body[:-1] if isinstance(s, gast.Assign)}
    if top & _locals_of_nested(body):
        return None  # a nested function shadowing a factory name: renaming would cross scopes
    return body, params, top


def _locals_of_nested(body) -> set:
    """Parameters and assigned names of the functions and lambdas the factory defines."""
    out = set()
    for stmt in body:
        for node in gast.walk(stmt):
            if isinstance(node, (gast.FunctionDef, gast.Lambda)):
                args = node.args
                out |= {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
                out |= {n.id for s in (node.body if isinstance(node, gast.FunctionDef) else [node.body])
                        for n in gast.walk(s) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    return out
