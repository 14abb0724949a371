"""A user function that writes into its parameters, made to also return what it wrote.

`def h(p, q): p[0] = q; return r` is read as `def h(p, q): p[0] = q; return r, p` (every
return, and the end of the body, returns the result with each written parameter), so
its compiled pair hands the caller p's final value, which the caller writes into its own
array (see runtime/written_calls.py). This is only right when the name p holds the
argument's memory at every return: p is never assigned again, other than by `p op= v`
(numpy updates p's memory in place, and the lowering's p after it is that updated value).
"""
from __future__ import annotations

import copy
from dataclasses import replace

import gast

from .frontend import Parsed

NESTED = (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef)


def can_return_written(node: gast.FunctionDef, params: tuple) -> bool:
    """Every name in params is a plain parameter of node that only `p op= v` rebinds."""
    plain = {a.id for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs}
    if not set(params) <= plain or not _is_plain_def(node):
        return False
    updated = {id(n.target) for n in gast.walk(node) if isinstance(n, gast.AugAssign)}
    for sub in gast.walk(node):
        if isinstance(sub, gast.Name) and sub.id in params and isinstance(sub.ctx, (gast.Store, gast.Del)) \
                and id(sub) not in updated:
            return False
        if isinstance(sub, (gast.Global, gast.Nonlocal)) and set(sub.names) & set(params):
            return False
    return True


def _is_plain_def(node) -> bool:
    """No generator (a yield would make the added return wrong)."""
    return not any(isinstance(n, (gast.Yield, gast.YieldFrom)) for n in _own_nodes(node.body))


def returning_written(parsed: Parsed, params: tuple) -> Parsed:
    """A copy of parsed whose function returns (its result, *the written parameters)."""
    node = copy.deepcopy(parsed.node)
    for ret in [n for n in _own_nodes(node.body) if isinstance(n, gast.Return)]:
        value = ret.value if ret.value is not None else _none(ret)
        ret.value = gast.copy_location(gast.Tuple(elts=[value] + _names(params, ret), ctx=gast.Load()), ret)
    if not node.body or not isinstance(node.body[-1], gast.Return):
        end = gast.copy_location(gast.Return(value=None), node)
        end.value = gast.copy_location(gast.Tuple(elts=[_none(node)] + _names(params, node),
                                                  ctx=gast.Load()), node)
        node.body = node.body + [end]
    return replace(parsed, node=node)


def _own_nodes(body: list):
    """The nodes of a function body, not those of functions or classes defined in it."""
    stack = list(body)
    while stack:
        sub = stack.pop()
        yield sub
        if not isinstance(sub, NESTED):
            stack.extend(gast.iter_child_nodes(sub))


def _none(where):
    return gast.copy_location(gast.Constant(value=None, kind=None), where)


def _names(params: tuple, where) -> list:
    return [gast.copy_location(gast.Name(id=p, ctx=gast.Load(), annotation=None, type_comment=None), where)
            for p in params]
