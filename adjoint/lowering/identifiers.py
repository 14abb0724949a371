"""The identifiers a parsed function uses: what generated temporaries avoid, and which
of its names are free (read but never assigned: the dispatcher guards them)."""
from __future__ import annotations

import gast

from ..syntax import walk_nodes
from .frontend import signature_arguments


def user_names(node) -> set:
    """Every identifier the function's own code uses, so temporaries avoid them."""
    return set(_name_facts(node)[0])


def body_names(func_node) -> set:
    """Every identifier the statements of the function's body use (not its decorators,
    defaults or annotations, which ran once, when the def did)."""
    return set(_name_facts(func_node)[2])


def _name_facts(node) -> tuple:
    """(names used, names stored, names the body uses) of a tree: one walk, kept on the
    node (a parsed function is walked by the Specializer and by each compile)."""
    mark, facts = getattr(node, "_adjoint_names", (None, None))
    if mark != id(node):  # (a deep copy carries the attribute: its own walk)
        used, stored = set(), set()
        for n in walk_nodes(node):
            if type(n) is gast.Name:
                used.add(n.id)
                if type(n.ctx) is gast.Store:
                    stored.add(n.id)
        in_body = used
        if isinstance(node, gast.FunctionDef):
            in_body = {n.id for stmt in node.body for n in walk_nodes(stmt) if type(n) is gast.Name}
        facts = (frozenset(used), frozenset(stored), frozenset(in_body))
        node._adjoint_names = (id(node), facts)
    return facts


def assigned_names(func_node) -> set:
    return {a.id for a in signature_arguments(func_node.args)} | _name_facts(func_node)[1]
