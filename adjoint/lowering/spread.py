"""f(**d) and f(*args) where what d and args hold is known when compiling.

A dict's keys are known when it is built by a display with string keys ({'a': x}) and
never changed in the function, or when it is the **kwargs of a function called through
(its caller's keywords: reverse/calls.py passes them as a `Packed`); the length of *args
likewise. The call then passes the values one by one, so each gets its own gradient:

    d = {'a': x, 'b': y}                      d = make_dict(('a', 'b'), (x, y))
    inner(**d)                       ->       inner(a=d['a'], b=d['b'])

    def forward(*args, **kwargs):             (called as forward(x, y, scale=2.0))
        return inner(*args, **kwargs)  ->     inner(args[0], args[1], scale=kwargs['scale'])

Anything else is refused at its line rather than guessed.
"""
from __future__ import annotations

from collections import Counter

import gast
import numpy as np

from .. import ir
from ..runtime.containers import appended, make_dict
from .frontend import MISSING
from .statics import Packed, kind_of

UNKNOWN_VALUE = np.zeros(())  # an element holding an array or number (or a record's field)

MUTATING_METHODS = frozenset({"update", "setdefault", "pop", "popitem", "clear", "__setitem__",
                              "__delitem__", "extend", "insert", "remove", "sort", "reverse"})


class SpreadLowering:
    def spread(self, node: gast.Call) -> gast.Call:
        """The call with **d and *xs (of known contents) written out, or as it is."""
        spreads = {id(a): self.star_items(a.value) for a in node.args if isinstance(a, gast.Starred)}
        double = [k for k in node.keywords if k.arg is None]
        if not double and all(items is None for items in spreads.values()):
            return node
        args = []
        for arg in node.args:
            items = spreads.get(id(arg))
            args += [arg] if items is None else items
        keywords = []
        for keyword in node.keywords:
            keywords += [keyword] if keyword.arg is not None else self.spread_keywords(keyword)
        names = [k.arg for k in keywords]
        for name in names:
            if names.count(name) > 1:
                raise self.unsupported(node, f"the keyword {name} given twice (Python raises "
                                       "TypeError)", "pass it once")
        return gast.copy_location(gast.Call(func=node.func, args=args, keywords=keywords), node)

    def star_items(self, value):
        """*xs, *args[1:] where xs's length is known: [xs[0], xs[1], ...]; else None."""
        base, positions = value, None
        if isinstance(value, gast.Subscript) and isinstance(value.slice, gast.Slice):
            parts = (value.slice.lower, value.slice.upper, value.slice.step)
            if not all(p is None or _integer(p) is not None for p in parts):
                return None
            base = value.value
            positions = slice(*(None if p is None else _integer(p) for p in parts))
        length = self.known_length(base)
        if length is None:
            return None
        indices = range(length)[positions] if positions is not None else range(length)
        return [_item(base, gast.Constant(value=k, kind=None), value) for k in indices]

    def known_length(self, node):
        """How many values the name `node` holds, when known when compiling: a tuple
        display, a list display left unchanged, *args, a list of objects; else None."""
        if not isinstance(node, gast.Name) or node.id not in self.current \
                or node.id in self.mutated_names():
            return None
        var = self.current[node.id]
        example = self.static_of.get(var, MISSING)
        if isinstance(example, Packed) and isinstance(example.names, int):
            self.note_static_use(var)
            return example.names
        if kind_of(example) == "sequence":
            self.note_static_use(var)
            return len(example)
        return None

    def spread_keywords(self, keyword) -> list:
        value = keyword.value
        if isinstance(value, gast.Dict) and all(_string(k) for k in value.keys):
            return [gast.keyword(arg=k.value, value=v) for k, v in zip(value.keys, value.values)]
        keys = self.packed_of(value)
        if not isinstance(keys, tuple):
            raise self.unsupported(value, "**d of a dict whose keys are known only when the code "
                                   "runs", "pass the entries by name (f(a=d['a'], ...)), or build "
                                   "the dict here with a display {'a': ...} and leave it unchanged")
        return [gast.keyword(arg=k, value=_item(value, gast.Constant(value=k, kind=None), value))
                for k in keys]

    def packed_of(self, node):
        """The keys (tuple) a dict name holds, when known; else None."""
        if not isinstance(node, gast.Name) or node.id not in self.current \
                or node.id in self.mutated_names():
            return None
        example = self.static_of.get(self.current[node.id], MISSING)
        if not isinstance(example, Packed) or not isinstance(example.names, tuple):
            return None
        self.note_static_use(self.current[node.id])
        return example.names

    def display_packed(self, value, name: str):
        """What a display assigned to an unchanged name holds (display_static); a tuple
        or list of values, or one appended to: how many (a Packed), where the name has
        one variable per assignment or is assigned only here."""
        if name in self.mutated_names():
            return MISSING
        held = self.display_static(value)
        if held is not MISSING or name in self.merged and name not in self.assigned_once():
            return held
        if isinstance(value, ir.TupleExpr) and not any(isinstance(e, ir.Starred) for e in value.elts):
            return Packed(len(value.elts))
        if isinstance(value, ir.Call) and value.func.value is appended:  # xs.append(v)
            before = self.static_of.get(value.args[0], MISSING)
            if isinstance(before, Packed) and isinstance(before.names, int):
                return Packed(before.names + 1)
        return MISSING

    def assigned_once(self) -> set:
        """Names assigned (or appended to) once in the function's code."""
        if getattr(self, "_once", None) is None:
            nodes = self.parsed.nodes()
            counts = Counter(n.id for n in nodes if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store))
            counts.update(n.func.value.id for n in nodes if isinstance(n, gast.Call)
                          and isinstance(n.func, gast.Attribute) and n.func.attr == "append"
                          and isinstance(n.func.value, gast.Name))
            self._once = {name for name, count in counts.items() if count == 1}
        return self._once

    def display_static(self, value):
        """Packed(keys) for a dict display with string keys; for a list or tuple display
        holding objects or callables ([Dense(W, b), Scale(s)]), the list of what each
        holds (sequences.py); else MISSING."""
        if isinstance(value, ir.TupleExpr) and not any(isinstance(e, ir.Starred) for e in value.elts):
            known = [self.static_value(e) if isinstance(e, (ir.Var, ir.Ref)) else MISSING
                     for e in value.elts]
            if all(k is MISSING for k in known):
                return MISSING
            examples = [UNKNOWN_VALUE if k is MISSING else k for k in known]
            return examples if value.is_list else tuple(examples)
        return packed_display(value)

    def mutated_names(self) -> set:
        if getattr(self, "_mutated", None) is None:
            self._mutated = _mutated_names(self.parsed.nodes())
        return self._mutated


def packed_display(value):
    if isinstance(value, ir.Call) and value.func.value is make_dict \
            and all(isinstance(k, ir.Const) and isinstance(k.value, str) for k in value.args[0].elts):
        return Packed(tuple(k.value for k in value.args[0].elts))
    return MISSING


def _mutated_names(nodes) -> set:
    """Names whose value may change in place: d[k] = v, del d[k], d.update(...), d |= e
    (`nodes`: every node of the function)."""
    names = set()
    for node in nodes:
        targets = node.targets if isinstance(node, (gast.Assign, gast.Delete)) else \
            [node.target] if isinstance(node, (gast.AugAssign, gast.AnnAssign)) else []
        for target in targets:
            if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
                names.add(target.value.id)
            if isinstance(node, gast.AugAssign) and isinstance(target, gast.Name):
                names.add(target.id)
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
                and node.func.attr in MUTATING_METHODS and isinstance(node.func.value, gast.Name):
            names.add(node.func.value.id)
    return names


def _string(node) -> bool:
    return isinstance(node, gast.Constant) and isinstance(node.value, str)


def _item(base, index, where):
    load = gast.Name(id=base.id, ctx=gast.Load(), annotation=None, type_comment=None)
    return gast.copy_location(gast.Subscript(value=gast.copy_location(load, base), slice=index,
                                             ctx=gast.Load()), where)


def _integer(node):
    """The int a constant (or a negated constant) slice bound is, else None."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        inner = _integer(node.operand)
        return None if inner is None else -inner
    if isinstance(node, gast.Constant) and type(node.value) is int:
        return node.value
    return None
