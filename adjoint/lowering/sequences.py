"""Lists of objects and callables: `for layer in self.layers: h = layer(h)`.

A list or tuple holding objects or functions is known when compiling, element by element
(statics.py keys it by each element's key), so a call of one of its elements is compiled
like a call of a field. How the elements are reached decides how the code is written:

    elements alike (one class, same fields)        one loop; the loop variable is known
      for layer in self.layers:            ->        for i in range(len(s0)):
          h = layer(h)                                   layer_1 = s0[i]
                                                         h = Dense.__call__(layer_1, h)
    elements that differ (Dense, then Scale)       the loop written out, one copy each
      for layer in self.layers:            ->        layer_1 = s0[0]
          h = layer(h)                               h = Dense.__call__(layer_1, h)
                                                     layer_2 = s0[1]
                                                     h = Scale.__call__(layer_2, h)
    self.layers[0], self.layers[-1]                that element
    self.layers[i]                                 alike: any element; else refused
    enumerate(self.layers), zip(self.layers, xs)   as the loop above, the other names
                                                   indexed by the step (zip: the shortest)

The loop variable gets a variable of its own in each loop (assigned back to the name
after it), so two loops over lists of different classes can share a name. Arrays and
floats in the elements are read when the code runs, as fields are (objects.py); their
gradient is the list's, element by element, in the object's gradient.
"""
from __future__ import annotations

import operator

import gast

from .. import ir
from ..runtime.python import concatenated
from ..syntax import BINARY
from .frontend import MISSING
from .statics import kind_of, static_key


CONCATENATED = ir.Ref("concatenated", concatenated, (), concatenated)
MIN = ir.Ref("min", min, (), min)


class SequenceLowering:
    def sequence_of(self, atom):
        """The list or tuple of objects/callables `atom` was compiled for, or MISSING."""
        example = self.static_value(atom) if isinstance(atom, (ir.Var, ir.Ref)) else MISSING
        return example if example is not MISSING and kind_of(example) == "sequence" else MISSING

    def subscript(self, node, base, index):
        """base[index]; an element of a list of objects is known."""
        element = self.element_subscript(node, base, index)
        return ir.Subscript(base, index) if element is None else element

    def element_subscript(self, node, base, index):
        """base[index] of a known sequence: an atom known to hold that element, or None
        when base is not one."""
        seq = self.sequence_of(base)
        if seq is MISSING:
            return None
        if isinstance(index, ir.Const) and isinstance(index.value, int) \
                and -len(seq) <= index.value < len(seq):
            example = seq[index.value]
        elif isinstance(index, ir.Slice) and all(p is None or isinstance(p, ir.Const)
                                                 for p in (index.lower, index.upper, index.step)):
            parts = (index.lower, index.upper, index.step)
            example = seq[slice(*(None if p is None else p.value for p in parts))]
        elif _alike(seq) and not isinstance(index, (ir.Slice, ir.TupleExpr)):
            example = seq[0]
        else:
            raise self.unsupported(node, "indexing a list of objects or functions that differ "
                                   "with an index known only when the code runs",
                                   "loop over it (for layer in self.layers: ...), or index it "
                                   "with a number")
        held = self.held(ir.Subscript(base, index), example)
        if base in self.from_global or isinstance(base, ir.Ref):  # a global list: guard it
            self.from_global.add(held)
            self.guards.append((Contents(seq), "contents", "contents"))
        return held

    def binary(self, node: gast.BinOp):
        """a op b; a + b of tuples or lists (a display on one side, or *args) joins them,
        with the gradient split back by position, not summed as arrays' would be."""
        left, right = self.operand(node.left), self.operand(node.right)
        vararg = self.parsed.node.args.vararg
        if isinstance(node.op, gast.Add) and any(
                isinstance(side, (gast.Tuple, gast.List)) or vararg is not None
                and isinstance(side, gast.Name) and side.id == vararg.id for side in (node.left, node.right)):
            left, right = (self.atom_of(v, node) for v in (left, right))
            return ir.Call(CONCATENATED, (left, right))
        return ir.BinOp(BINARY[type(node.op)], left, right)

    def sequence_loop(self, node: gast.For, pairs: list, index=None) -> None:
        """`for name in seq`, `for i, name in enumerate(seq)`, `for a, b in zip(seq, xs)`
        where a seq is a known sequence (see the module docstring): `pairs` holds each
        loop name with what it walks; `index`, enumerate's name."""
        if not all(isinstance(target, gast.Name) for target, _ in pairs):
            raise self.unsupported(node.target, "unpacking the elements of a list of objects "
                                   "or functions in the loop header",
                                   "loop with one name and unpack inside the loop")
        pairs = [(target.id, self.snapshot(seq)) for target, seq in pairs]
        known = [seq for _, seq in pairs if self.sequence_of(seq) is not MISSING]
        lengths = [len(self.sequence_of(seq)) for seq in known]
        merged = {name: self.current.get(name) for name, _ in pairs}
        if all(_alike(self.sequence_of(seq)) for seq in known):  # one loop, indexed
            stop = ir.Const(min(lengths))
            for _, seq in pairs:
                if self.sequence_of(seq) is MISSING:  # zip stops at the shortest
                    stop = self.atom_of(ir.Call(MIN, (stop, self.length(seq))), node)
            self.loop(node, self.index_var, ir.Const(0), stop, ir.Const(1),
                      prefix=lambda i: self.loop_items(node, pairs, index, i))
        else:
            if _jumps(node.body):
                raise self.unsupported(node, "break or continue in a loop over a list of objects "
                                       "or functions that differ", "set a flag instead")
            for k in range(min(lengths)):
                for var, value in self.loop_items(node, pairs, index, ir.Const(k)):
                    self.bind_known(var, value) if isinstance(var, ir.Var) else \
                        self.bind_atom(var, self.atom_of(value, node))
                self.body += self.block(node.body)
        for name, before in merged.items():  # the name after the loop
            if before is not None and self.current[name] is not before:
                last = self.current[name]
                self.current[name] = before
                self.assign_name(name, last, self.origin)

    def loop_items(self, node, pairs: list, index, i) -> list:
        """(target, value) for one step: each known element (a loop variable of its own),
        each other element, enumerate's index (a name and where it starts)."""
        items = [(self.loop_name(name), self.element_subscript(node, seq, i))
                 if self.sequence_of(seq) is not MISSING else (_store(name), ir.Subscript(seq, i))
                 for name, seq in pairs]
        if index is None:
            return items
        target, start = index
        value = i if start == ir.Const(0) else self.atom_of(ir.BinOp(operator.add, i, start), node)
        return items + [(target, value)]

    def bind_known(self, var: ir.Var, atom) -> None:
        """var = atom, var known to hold what atom holds."""
        self.emit(ir.Assign(var, atom, self.origin))
        example = self.static_value(atom)
        if example is not MISSING:
            self.static_of[var] = example

    def loop_name(self, name: str) -> ir.Var:
        """A variable of its own for a loop variable, read as the name inside the loop."""
        var = ir.Var(self.namer.fresh(name), ir.Kind.USER)
        self.dynamic.add(var)
        self.current[name] = var
        return var


class Contents:
    """A global list seen as a guard table: stale once an element is added, removed or
    replaced (the code was compiled for each element)."""

    def __init__(self, seq):
        self.seq, self.items = seq, tuple(seq)

    def get(self, key, default=None):
        same = len(self.seq) == len(self.items) and all(a is b for a, b in zip(self.seq, self.items))
        return key if same else default


def _alike(seq) -> bool:
    keys = [static_key(v) for v in seq]
    return all(k == keys[0] for k in keys)


def _jumps(statements) -> bool:
    """A break or continue of this loop (not of a loop inside it)."""
    stack = list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, (gast.Break, gast.Continue)):
            return True
        if not isinstance(node, (gast.For, gast.While, gast.FunctionDef, gast.Lambda)):
            stack.extend(gast.iter_child_nodes(node))
    return False


def _store(name: str):
    return gast.Name(id=name, ctx=gast.Store(), annotation=None, type_comment=None)
