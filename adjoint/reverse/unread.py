"""What a user's function adjoint does not read may do to its arguments, from its syntax.

A function holding a construct the fence refuses (raise, try, global, ...) is never
lowered, so memory.py has no summary of what it writes. Called where its result is not
differentiated, it runs as written: a write into an array argument (a *= 2, a[0] = v,
a.shape = ..., a.sort(), np.copyto(a, ...), a handed on to another call) would change
values the backward reads, unseen, and the gradient would be wrong. So the parameters
such a function may write into are read off its tree, erring towards "may": a parameter
is left out only when every use of it is a read known to be one:

    def check(a):                          a.ndim, a.shape: numbers
        if a.ndim != 2:                    a.mean(), np.sum(a), a + 1: new values
            raise ValueError(a.shape)      print(a), len(a), f"{a}": reads

A use that may give a itself or a view of it (a.T, a[0], np.asarray(a)) is followed to
its own use; one bound to another name, stored, or passed to anything else may write.
A function without source may write into every argument.
"""
from __future__ import annotations

import builtins
import inspect
import threading

import gast
import numpy as np

from ..errors import NoSource, UnsupportedSyntax
from ..lowering.fence import check_supported
from ..lowering.frontend import parse_function
from ..origin import is_user_code
from ..rules.registry import lookup

NUMBERS = {"shape", "ndim", "size", "dtype", "nbytes", "itemsize"}
READ_ONLY_METHODS = {"mean", "sum", "prod", "min", "max", "std", "var", "any", "all", "argmin",
                     "argmax", "copy", "tolist", "item", "dot", "cumsum", "cumprod", "round",
                     "astype", "trace", "nonzero", "tobytes"}
READING_BUILTINS = {print, len, isinstance, type, repr, str, float, int, bool, abs, id, format,
                    sum, min, max, round, hash, callable}
NEW_RESULTS = {print, len, isinstance, type, repr, str, float, int, bool, abs, id, format, sum,
               round, hash, callable, np.sum, np.mean, np.prod, np.std, np.var, np.min, np.max,
               np.any, np.all, np.allclose, np.array_equal, np.copy, np.array, np.shape, np.ndim,
               np.size, np.argmax, np.argmin, np.count_nonzero, np.linalg.norm}
VIEWS = (gast.Subscript, gast.Tuple, gast.List, gast.Starred, gast.IfExp,
         gast.BoolOp)  # expressions whose value may be (or hold) their operand itself
# uses that read: arithmetic, tests, formatting, what is returned or dropped
READS = (gast.BinOp, gast.UnaryOp, gast.Compare, gast.FormattedValue, gast.JoinedStr, gast.If,
         gast.While, gast.Assert, gast.Return, gast.Expr)
NUMPY_WRITERS = {np.copyto, np.put, np.place, np.putmask, np.fill_diagonal, np.put_along_axis}

_FOUND: dict = {}  # (function, its code object) -> what `unread_writes` gave
_LOCK = threading.RLock()


def unread_writes(func):
    """The names of the parameters of `func`, a user's function adjoint does not read,
    that it may write into (all of them without source); None for any other callable."""
    if not callable(func) or _has_rule(func):  # (a rule is the user's word on what it does)
        return None
    func = getattr(func, "__func__", func)  # a bound method: its function (self is bound)
    if not inspect.isfunction(func) or not is_user_code(func) \
            or func.__code__.co_filename.startswith("<adjoint"):  # (code adjoint wrote)
        return None
    key = (func, func.__code__)
    with _LOCK:
        if key not in _FOUND:
            _FOUND[key] = _find(func)
        return _FOUND[key]


def _find(func):
    code = func.__code__
    params = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount
                              + bool(code.co_flags & 4) + bool(code.co_flags & 8)]
    try:
        parsed = parse_function(func)
    except NoSource:
        return frozenset(params)
    try:
        check_supported(parsed)
        return None  # read by adjoint: memory.py summarizes it
    except UnsupportedSyntax:
        pass
    parents = {}
    for node in gast.walk(parsed.node):
        for child in gast.iter_child_nodes(node):
            parents[child] = node
    names = set(params) & {n.id for n in gast.walk(parsed.node) if isinstance(n, gast.Name)}
    return frozenset(name for name in names if _may_write(name, parsed, parents))


def _may_write(param: str, parsed, parents: dict) -> bool:
    """Does some use of `param`, or of a name bound to what may be it or part of it
    (`for x in xs`, `c = a.T`), write? A name so bound is followed everywhere it is
    used, also where it holds something else: more uses checked, never fewer."""
    uses: dict = {}
    for node in gast.walk(parsed.node):
        if isinstance(node, gast.Name):
            uses.setdefault(node.id, []).append(node)
    pending, seen = [param], {param}
    while pending:
        follow: set = set()
        for node in uses.get(pending.pop(), []):
            if not _safe(node, parents, parsed.globals, follow):
                return True
        pending += sorted(follow - seen)
        seen |= follow
    return False


def _names(target) -> set:
    """The names a target binds (x; a, b; *rest), not those of x[i] or x.attr (stores)."""
    if isinstance(target, gast.Name):
        return {target.id}
    if isinstance(target, gast.Starred):
        return _names(target.value)
    if isinstance(target, (gast.Tuple, gast.List)):
        return {n for t in target.elts for n in _names(t)}
    return set()


def _binds_names_only(node) -> bool:
    """Is `node` the value of a binding whose targets are all plain names (then followed
    by `_may_write`), rather than a store into a container or an object?"""
    return all(_names(t) and _stores_names_only(t) for t in _targets(node))


def _targets(binding) -> list:
    """What an Assign, a NamedExpr, a For or a comprehension binds."""
    return binding.targets if isinstance(binding, gast.Assign) else [binding.target]


def _stores_names_only(target) -> bool:
    if isinstance(target, gast.Name):
        return True
    if isinstance(target, gast.Starred):
        return _stores_names_only(target.value)
    return isinstance(target, (gast.Tuple, gast.List)) and all(_stores_names_only(t) for t in target.elts)


def _safe(node, parents: dict, namespace: dict, follow: set) -> bool:
    """Is this use of a parameter (or of what may be it) only a read? A binding of it
    to plain names is one, when those names' own uses are: they are added to `follow`."""
    parent = parents.get(node)
    if isinstance(getattr(node, "ctx", None), gast.Param):
        return True  # the parameter itself (def f(a): ...)
    if isinstance(getattr(node, "ctx", None), (gast.Store, gast.Del)):  # a = ...: rebinding
        return isinstance(node, gast.Name) and not isinstance(parent, gast.AugAssign)  # (a += 1 writes)
    if isinstance(parent, gast.Attribute):
        if isinstance(parent.ctx, (gast.Store, gast.Del)):
            return False  # a.shape = ...
        call = parents.get(parent)
        if isinstance(call, gast.Call) and call.func is parent:  # a method: a new value, or a write
            return parent.attr in READ_ONLY_METHODS
        return parent.attr in NUMBERS or _safe(parent, parents, namespace, follow)  # (a.T: a view)
    if isinstance(parent, gast.Subscript) and parent.value is not node:
        return True  # an index
    if isinstance(parent, VIEWS):
        return _safe(parent, parents, namespace, follow)
    if isinstance(parent, (gast.For, gast.comprehension)) and parent.iter is node \
            or isinstance(parent, (gast.Assign, gast.NamedExpr)) and parent.value is node:
        if not _binds_names_only(parent):
            return False  # stored into a container or an object
        follow.update(n for t in _targets(parent) for n in _names(t))
        return True
    if isinstance(parent, gast.keyword):
        parent = parents.get(parent)
    if isinstance(parent, gast.Call) and parent.func is not node:
        func = _callee(parent, namespace)
        if _among(func, (zip, enumerate, reversed)):
            return _safe(parent, parents, namespace, follow)  # (it yields the argument's own items)
        return _reads_arguments(parent, func) and (_returns_new(func) or _safe(parent, parents, namespace, follow))
    return isinstance(parent, READS)


def _callee(call: gast.Call, namespace: dict):
    """The object a call's function names (a name or a dotted module path), or None."""
    path, node = [], call.func
    while isinstance(node, gast.Attribute):
        path.append(node.attr)
        node = node.value
    if not isinstance(node, gast.Name):
        return None
    value = namespace.get(node.id, getattr(builtins, node.id, None))
    for attr in reversed(path):
        value = getattr(value, attr, None)
    return value


def _reads_arguments(call: gast.Call, func) -> bool:
    """Does the call only read its arguments (print, len, numpy but its writers, no out=)?"""
    if any(k.arg == "out" for k in call.keywords) or _among(func, NUMPY_WRITERS):
        return False
    if isinstance(func, np.ufunc):
        return len(call.args) <= func.nin  # (out given by position)
    module = (getattr(func, "__module__", None) or "").split(".")[0]
    return _among(func, READING_BUILTINS) or module in ("numpy", "math")


def _returns_new(func) -> bool:
    """Is the result never the argument nor a view of it (np.sum; not np.asarray)?"""
    return isinstance(func, np.ufunc) or getattr(func, "__module__", None) == "math" \
        or _among(func, NEW_RESULTS)


def _among(func, table) -> bool:
    try:
        return func in table
    except TypeError:
        return False


def _has_rule(func) -> bool:
    try:
        return lookup(func) is not None
    except TypeError:  # (unhashable)
        return False
