"""functools.partial called where it is built, or mapped, and tuple()/list() of a display:

    partial(g, a, k=v)(y)            ->   g(a, y, k=v)
    map(partial(g, a), xs)           ->   bound = a                       (taken once)
                                          def function(item): return g(bound, item)
                                          [function(x) for x in xs]   (inlined, python.py)
    tuple((params,)), list((x, y))   ->   the display itself, a tuple or a list
    tuple(xs), xs of known length    ->   (xs[0], xs[1], ...)
    rng = np.random.RandomState(0)   ->   a generator: rng.randn(3) runs as written (a constant)

so that each bound value keeps its own gradient, as if the call were written out. A
partial passed in, or stored in an object, is known when compiling (objects.py).
"""
from __future__ import annotations

import functools

import gast
import numpy as np

from .. import ir
from .local import lambda_as_def

RANDOM_MAKERS = {np.random.RandomState: np.random.RandomState(0), np.random.default_rng:
                 np.random.default_rng(0), np.random.Generator: np.random.default_rng(0)}


class PartialLowering:
    def partial_call(self, node: gast.Call):
        """partial(g, ...)(...) written out as one call of g; None for any other call."""
        inner = node.func
        if not self.is_partial(inner):
            return None
        given = {k.arg for k in node.keywords}
        keywords = [k for k in inner.keywords if k.arg not in given] + list(node.keywords)
        call = gast.Call(func=inner.args[0], args=inner.args[1:] + node.args, keywords=keywords)
        return self.value(located_at(call, node))

    def is_partial(self, node) -> bool:
        """partial(g, a, k=v) with functools.partial named as itself, nothing spread."""
        return isinstance(node, gast.Call) and node.args \
            and self.known_callee(node.func) is functools.partial \
            and not any(isinstance(a, gast.Starred) for a in node.args) \
            and all(k.arg is not None for k in node.keywords)

    def partial_function(self, node, partial, arity: int):
        """A local function calling partial's g with its bound values (taken here, once)
        and then `arity` arguments; the name that calls it."""
        def taken(value):
            if isinstance(value, gast.Constant):
                return value
            name = self.namer.fresh("bound")
            self.assign_name(name, self.operand(value), self.at(value))
            return name_node(name)
        bound = [taken(a) for a in partial.args[1:]]
        keywords = [gast.keyword(arg=k.arg, value=taken(k.value)) for k in partial.keywords]
        params = [self.namer.fresh("item") for _ in range(arity)]
        body = gast.Call(func=partial.args[0], args=bound + [name_node(p) for p in params], keywords=keywords)
        function = gast.Lambda(args=gast.arguments(
            args=[name_node(p, gast.Param()) for p in params], posonlyargs=[], vararg=None, kwonlyargs=[],
            kw_defaults=[], kwarg=None, defaults=[]), body=body)
        name = self.namer.fresh("function")
        self.define_local_function(lambda_as_def(name, located_at(function, node)))
        return located_at(name_node(name), node)

    def random_generator(self, node: gast.Call, callee):
        """rng = np.random.RandomState(0) built here: known to be a generator, so its
        draws run as written (constants); None for any other call."""
        if not any(callee is maker for maker in RANDOM_MAKERS):
            return None
        args, kwargs = self.call_arguments(node)
        ref = ir.Ref(callee.__name__, callee, (), callee)
        return self.held(ir.Call(ref, tuple(args), tuple(kwargs)), RANDOM_MAKERS[callee])

    def display_conversion(self, node: gast.Call, callee):
        """tuple(display), list(display), tuple(xs) of known length; None otherwise."""
        if callee not in (tuple, list) or len(node.args) != 1 or node.keywords:
            return None
        arg = node.args[0]
        if isinstance(arg, (gast.Tuple, gast.List)) and not any(isinstance(e, gast.Starred) for e in arg.elts):
            elts = arg.elts
        else:
            elts = self.star_items(arg)  # (spread.py: xs[0], xs[1], ...)
            if elts is None:
                return None
        kind = gast.Tuple if callee is tuple else gast.List
        return self.value(located_at(kind(elts=list(elts), ctx=gast.Load()), node))


def name_node(identifier: str, ctx=None):
    """A gast Name (read unless `ctx` says otherwise)."""
    return gast.Name(id=identifier, ctx=ctx or gast.Load(), annotation=None, type_comment=None)


def located_at(new, node):
    """`new` with every node of it that has no position given `node`'s."""
    for sub in gast.walk(new):
        if isinstance(sub, (gast.stmt, gast.expr)) and getattr(sub, "lineno", None) is None:
            gast.copy_location(sub, node)
    return new
