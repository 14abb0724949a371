"""Fence: reject Python adjoint cannot differentiate, listing every problem at once.

Input: a `Parsed` function. Output: nothing, or one `UnsupportedSyntax` error whose
problems name each construct, its line and column and what to write instead. Running the
fence first means the lowering never meets a node it does not know, so users never see
an internal error such as "Unknown node type: Break".
"""
from __future__ import annotations

import gast

from ..errors import Problem, UnsupportedSyntax
from .frontend import Parsed

# node type -> (what it is, what to do instead)
UNSUPPORTED = {
    gast.Try: ("try/except (adjoint differentiates one path, and cannot tell which one "
               "an exception would take)", "move error handling outside the differentiated function"),
    gast.AsyncWith: ("async with", "differentiate a plain (non-async) function"),
    gast.AsyncFor: ("async for", "differentiate a plain (non-async) function"),
    gast.AsyncFunctionDef: ("an async def", "differentiate a plain (non-async) function"),
    gast.Await: ("await", "differentiate a plain (non-async) function"),
    gast.Yield: ("yield", "return a value instead of yielding it"),
    gast.YieldFrom: ("yield from", "return a value instead of yielding it"),
    gast.Global: ("a global statement", "pass the value in as an argument and return the result"),
    gast.Nonlocal: ("a nonlocal statement", "pass the value in as an argument and return the result"),
    gast.ClassDef: ("a class definition", "define the class outside the differentiated function"),
    gast.Delete: ("del", "drop the del statement; unused names cost nothing"),
    gast.Import: ("an import", "import at module level"),
    gast.ImportFrom: ("an import", "import at module level"),
    gast.Raise: ("raise", "check inputs before calling the differentiated function"),
    gast.NamedExpr: ("an assignment expression (:=)", "assign on its own line"),
    gast.SetComp: ("a set comprehension", "build arrays with numpy calls"),
    gast.DictComp: ("a dict comprehension", "build arrays with numpy calls"),
    gast.Set: ("a set literal", "use a tuple"),
}
for _name, _entry in (("TryStar", ("try/except*", "move error handling outside the differentiated function")),
                      ("Match", ("a match statement", "write it as if/elif/else"))):
    if hasattr(gast, _name):  # newer node types only exist on newer Pythons
        UNSUPPORTED[getattr(gast, _name)] = _entry


def check_supported(parsed: Parsed) -> None:
    """Raise one UnsupportedSyntax listing every unsupported construct in the function."""
    if not any(_problem(parsed, node) for node in parsed.nodes()):
        return  # (the nodes walked once, and more: the def's own; ast's walk orders problems)
    problems = []
    for stmt in parsed.node.body:
        for node in gast.walk(stmt):
            problem = _problem(parsed, node)
            if problem:
                problems.append(problem)
    if problems:
        name = parsed.node.name
        count = "1 construct" if len(problems) == 1 else f"{len(problems)} constructs"
        raise UnsupportedSyntax.from_problems(
            f"adjoint cannot differentiate {name}: {count} not supported", problems)


def _problem(parsed: Parsed, node) -> Problem | None:
    entry = UNSUPPORTED.get(type(node))
    if entry:
        what, fix = entry
        return Problem(parsed.location(node), f"{what} is not supported", fix)
    if isinstance(node, gast.Lambda) and not _bound_lambda(parsed, node):
        return Problem(parsed.location(node), "a lambda that is not assigned to a name",
                       "write f = lambda ...: ... on its own line, or use a def")
    targets = node.targets if isinstance(node, gast.Assign) else \
        [node.target] if isinstance(node, gast.AugAssign) else []
    if any(isinstance(t, gast.Attribute) for t in targets):
        return Problem(parsed.location(node), "assignment to an attribute is not supported",
                       "keep the value in a local variable")
    if isinstance(node, gast.Constant) and isinstance(node.value, complex):
        return Problem(parsed.location(node), "complex numbers are not supported",
                       "differentiate real and imaginary parts separately")
    return None


def _bound_lambda(parsed: Parsed, node) -> bool:
    """Is this lambda the whole value of `name = lambda ...`, or the function of map(f, xs)
    or reduce(f, xs) (each inlined where it is called)?"""
    for s in gast.walk(parsed.node):
        if isinstance(s, gast.Assign) and s.value is node and len(s.targets) == 1 \
                and isinstance(s.targets[0], gast.Name):
            return True
        if isinstance(s, gast.Call) and s.args and s.args[0] is node and _spelled(s.func) in MAPPERS:
            return True
    return False


MAPPERS = ("map", "reduce", "functools.reduce")


def _spelled(func) -> str:
    if isinstance(func, gast.Name):
        return func.id
    if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
        return f"{func.value.id}.{func.attr}"
    return ""
