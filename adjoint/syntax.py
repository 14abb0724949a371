"""Python's operator syntax (gast node classes) and the `operator` functions the IR keys
operations by: the lowering reads source through these tables and codegen writes it back
through their inverses, so both always agree.
"""
import ast
import operator

import gast

BINARY = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
          gast.Div: operator.truediv, gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
          gast.Pow: operator.pow, gast.MatMult: operator.matmul, gast.BitOr: operator.or_,
          gast.BitAnd: operator.and_, gast.BitXor: operator.xor, gast.LShift: operator.lshift,
          gast.RShift: operator.rshift}
UNARY = {gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_,
         gast.Invert: operator.invert}


def contained(item, container) -> bool:
    """item in container (operator.contains takes its arguments the other way round)."""
    return item in container


def not_contained(item, container) -> bool:
    """item not in container."""
    return item not in container


COMPARE = {gast.Lt: operator.lt, gast.LtE: operator.le, gast.Gt: operator.gt,
           gast.GtE: operator.ge, gast.Eq: operator.eq, gast.NotEq: operator.ne,
           gast.Is: operator.is_, gast.IsNot: operator.is_not, gast.In: contained,
           gast.NotIn: not_contained}


def walk_nodes(tree):
    """Every node of an ast or gast tree, parents before children (what ast.walk gives,
    in another order, at a third of its cost: compiles walk the user's tree often)."""
    ast_type = ast.AST
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                stack.extend(item for item in value if isinstance(item, ast_type))
            elif isinstance(value, ast_type):
                stack.append(value)
