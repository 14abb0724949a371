"""Writes into arrays, lowered to the one write the IR has: `x[index] = value` (SetItem).

A mixin of the lowering. Each numpy way of writing into an argument becomes that write,
so the reverse sweep puts back what it overwrote and routes the gradient (see
reverse/writes.py); the few whose numpy semantics differ from a plain write are refused
with their line:

    grid[i][j] = v          s0 = grid[i]; s0[j] = v; grid[i] = s0 (a write-back: memory
                            is unchanged, the gradient of grid[i] now flows to s0)
    np.exp(S, out=S)        s1 = np.exp(S); S[...] = s1          (the call's value is S)
    np.copyto(x, y)         x[...] = y       (where=m: x[...] = np.where(m, y, x))
    x.fill(v)               x[...] = v
    x.sort(axis=k)          s2 = np.sort(x, axis=k); x[...] = s2
    np.add.at(a, i, b)      s3 = added_at(a, i, b); a[...] = s3   (repeats add up)
    np.put(a, i, v)         s4 = np.unravel_index(i, np.shape(a)); a[s4] = v
    np.place(a, m, v)       a[m] = v
    np.putmask(a, m, v)     s5 = np.where(m, v, a); a[...] = s5
    np.fill_diagonal(a, v)  s6 = diagonal_index(a); a[s6] = v
"""
from __future__ import annotations

import gast
import numpy as np

from .. import ir
from ..runtime.writes import added_at, diagonal_index
from .frontend import MISSING, resolve_free_name

EVERYTHING = ir.Const(Ellipsis)
REFUSED_UFUNC_METHODS = ("at", "reduceat")


def _ref(name: str, obj, module=None):
    if module is np:
        return ir.Ref("np", np, tuple(name.split(".")), obj)
    return ir.Ref(name, obj, (), obj)


NP_SORT = _ref("sort", np.sort, np)
NP_WHERE = _ref("where", np.where, np)
NP_SHAPE = _ref("shape", np.shape, np)
NP_UNRAVEL = _ref("unravel_index", np.unravel_index, np)
ADDED_AT = _ref("added_at", added_at)
DIAGONAL_INDEX = _ref("diagonal_index", diagonal_index)


class WriteLowering:
    def set_item(self, target: gast.Subscript, value) -> None:
        """x[i] = v writes into x in place; x[i][j] = v writes into the view x[i] and
        then tells the gradient that x[i] is that view (a write-back)."""
        views, indices = self.subscript_chain(target)
        self.emit(ir.SetItem(views[-1], indices[-1], value, self.at(target)))
        self.write_back(views, indices, target)

    def subscript_chain(self, target: gast.Subscript):
        """x[i][j][k] -> ([x, x[i], x[i][j]] as atoms, [i, j, k] lowered)."""
        slices, node = [], target
        while isinstance(node, gast.Subscript):
            slices.append(node.slice)
            node = node.value
        if not isinstance(node, gast.Name):
            raise self.unsupported(target, "assignment into an attribute or a call's result",
                                   "assign to a named array: row = f(x); row[j] = v")
        root = self.name(node)
        if not isinstance(root, ir.Var):
            raise self.unsupported(target, "assignment into a global array",
                                   "copy it into a local array first")
        indices = [self.index(s) for s in reversed(slices)]
        views = [root]
        for index in indices[:-1]:
            views.append(self.atom_of(ir.Subscript(views[-1], index), target))
        return views, indices

    def write_back(self, views: list, indices: list, target) -> None:
        for k in range(len(views) - 2, -1, -1):
            self.emit(ir.SetItem(views[k], indices[k], views[k + 1], self.at(target), writeback=True))

    # numpy functions and methods that write into an argument ------------------------------
    def writing_call(self, node: gast.Call):
        """The lowered value of a call that writes into an argument (after emitting the
        write), or None for any other call."""
        out = [k for k in node.keywords if k.arg == "out"]
        if out:
            return self.call_with_out(node, out[0])
        func = node.func
        if isinstance(func, gast.Attribute) and func.attr in ("fill", "sort") and \
                isinstance(func.value, gast.Name) and self.is_local_array(func.value):
            return self.writing_method(node)
        target = self.resolved(func)
        if target is None:
            return None
        if isinstance(getattr(target, "__self__", None), np.ufunc) and \
                getattr(target, "__name__", "") in REFUSED_UFUNC_METHODS and target != np.add.at:
            raise self.unsupported(node, f"np.{target.__self__.__name__}.{target.__name__} "
                                   "(an unbuffered write into its argument)",
                                   "write it with a loop of x[i] = ... or use np.add.at")
        for function, lower, arity in self.WRITERS:
            if target is function or target == function:
                if len(node.args) < arity:
                    raise self.unsupported(node, f"{function.__name__} with arguments by "
                                           "keyword", "pass the arrays by position")
                return lower(self, node)
        return None

    def resolved(self, func):
        """The module-level object a call's name chain (np.add.at) names, else None."""
        root = func
        while isinstance(root, gast.Attribute):
            root = root.value
        if not isinstance(root, gast.Name) or root.id in self.current or \
                root.id in self.assigned or root.id in self.local_functions:
            return None
        names = []
        while isinstance(func, gast.Attribute):
            names.append(func.attr)
            func = func.value
        value = resolve_free_name(self.parsed, root.id)
        for name in reversed(names):
            value = getattr(value, name, MISSING)
        return None if value is MISSING else value

    def is_local_array(self, node: gast.Name) -> bool:
        return node.id in self.current

    def written_name(self, node, what: str) -> ir.Var:
        if isinstance(node, gast.Tuple) and len(node.elts) == 1:
            node = node.elts[0]
        if not isinstance(node, gast.Name) or not isinstance(self.name(node), ir.Var):
            raise self.unsupported(node, f"{what} into something other than a local array",
                                   "name the array: out = np.empty(...); f(..., out=out)")
        return self.name(node)

    def call_with_out(self, node: gast.Call, out):
        if any(k.arg == "where" for k in node.keywords):
            raise self.unsupported(node, "out= together with where=",
                                   "write y = np.where(mask, f(x), y) instead")
        array = self.written_name(out.value, "out=")
        keywords = [k for k in node.keywords if k.arg != "out"]
        plain = gast.Call(func=node.func, args=node.args, keywords=keywords)
        gast.copy_location(plain, node)
        result = self.atom_of(self.value(plain), node)
        self.emit(ir.SetItem(array, EVERYTHING, result, self.at(node)))
        return array

    def writing_method(self, node: gast.Call):
        array = self.name(node.func.value)
        if node.func.attr == "fill":
            self.emit(ir.SetItem(array, EVERYTHING, self.operand(node.args[0]), self.at(node)))
            return ir.Const(None)
        args = tuple(self.operand(a) for a in node.args)
        kwargs = tuple((k.arg, self.operand(k.value)) for k in node.keywords)
        if args:  # x.sort(axis) -> np.sort(x, axis)
            kwargs = (("axis", args[0]),) + kwargs
        sorted_ = self.atom_of(ir.Call(NP_SORT, (array,), kwargs), node)
        self.emit(ir.SetItem(array, EVERYTHING, sorted_, self.at(node)))
        return ir.Const(None)

    def copyto(self, node: gast.Call):
        array = self.written_name(node.args[0], "np.copyto")
        source = self.operand(node.args[1])
        where = [k for k in node.keywords if k.arg == "where"]
        if where:
            mask = self.operand(where[0].value)
            source = self.atom_of(ir.Call(NP_WHERE, (mask, source, array)), node)
        self.emit(ir.SetItem(array, EVERYTHING, source, self.at(node)))
        return ir.Const(None)

    def add_at(self, node: gast.Call):
        array = self.written_name(node.args[0], "np.add.at")
        index, value = self.index(node.args[1]), self.operand(node.args[2])
        index = self.atom_of(index, node) if isinstance(index, ir.Slice) else index
        total = self.atom_of(ir.Call(ADDED_AT, (array, index, value)), node)
        self.emit(ir.SetItem(array, EVERYTHING, total, self.at(node)))
        return ir.Const(None)

    def put(self, node: gast.Call):
        array = self.written_name(node.args[0], "np.put")
        shape = self.atom_of(ir.Call(NP_SHAPE, (array,)), node)
        index = self.atom_of(ir.Call(NP_UNRAVEL, (self.operand(node.args[1]), shape)), node)
        self.emit(ir.SetItem(array, index, self.operand(node.args[2]), self.at(node)))
        return ir.Const(None)

    def place(self, node: gast.Call):
        array = self.written_name(node.args[0], "np.place")
        mask = self.operand(node.args[1])
        self.emit(ir.SetItem(array, mask, self.operand(node.args[2]), self.at(node)))
        return ir.Const(None)

    def putmask(self, node: gast.Call):
        array = self.written_name(node.args[0], "np.putmask")
        mask, values = self.operand(node.args[1]), self.operand(node.args[2])
        merged = self.atom_of(ir.Call(NP_WHERE, (mask, values, array)), node)
        self.emit(ir.SetItem(array, EVERYTHING, merged, self.at(node)))
        return ir.Const(None)

    def fill_diagonal(self, node: gast.Call):
        array = self.written_name(node.args[0], "np.fill_diagonal")
        if len(node.args) > 2 or node.keywords:
            raise self.unsupported(node, "np.fill_diagonal with wrap=", "leave wrap out")
        index = self.atom_of(ir.Call(DIAGONAL_INDEX, (array,)), node)
        self.emit(ir.SetItem(array, index, self.operand(node.args[1]), self.at(node)))
        return ir.Const(None)

    WRITERS = ((np.copyto, copyto, 2), (np.add.at, add_at, 3), (np.put, put, 3),
               (np.place, place, 3), (np.putmask, putmask, 3), (np.fill_diagonal, fill_diagonal, 2))
