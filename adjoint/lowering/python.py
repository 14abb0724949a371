"""Harmless Python inside a differentiated function: it runs as written.

A mixin of the lowering (`lower.Lowering`). None of these carries a gradient, and each
is lowered to the call it is, so it runs in the forward exactly where it was written:

    k.startswith("W")        ->  str.startswith(k, 'W')       (strings carry no gradient)
    d.get(k, v)              ->  dict_get(d, k, v)             (a read, with its gradient)
    rng.normal(0, 1, n)      ->  Generator.normal(rng, 0, 1, n)  (a draw: a constant)
"""
from __future__ import annotations

import gast

from .. import ir
from ..runtime.python import dict_get

DICT_GET = ir.Ref("dict_get", dict_get, (), dict_get)
STRING_METHODS = frozenset({
    "startswith", "endswith", "lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit",
    "join", "replace", "format", "isdigit", "isalpha", "isalnum", "isspace", "isidentifier",
    "title", "capitalize", "casefold", "zfill", "center", "ljust", "rjust", "partition",
    "rpartition", "splitlines", "removeprefix", "removesuffix", "encode", "isupper", "islower"})


class PythonLowering:
    def python_method(self, node: gast.Call, base, name: str):
        """A str or dict method call, or None when `name` is neither's."""
        if name in STRING_METHODS:
            args, kwargs = self.call_arguments(node)
            ref = ir.Ref("str", str, (name,), getattr(str, name))
            return ir.Call(ref, (base,) + tuple(args), tuple(kwargs))
        if name == "get" and 1 <= len(node.args) <= 2 and not node.keywords:
            args, _ = self.call_arguments(node)
            default = args[1] if len(args) == 2 else ir.Const(None)
            return ir.Call(DICT_GET, (base, args[0], default))
        return None

    def random_draw(self, node: gast.Call, base, example, name: str):
        """rng.normal(...) on a generator passed in: the method of its class, called on it."""
        cls = type(example)
        if not hasattr(cls, name):
            raise self.unsupported(node, f"{cls.__name__} has no method {name}")
        args, kwargs = self.call_arguments(node)
        ref = ir.Ref(cls.__name__, cls, (name,), getattr(cls, name))
        return ir.Call(ref, (base,) + tuple(args), tuple(kwargs))
