"""The numba backend: the generated gradient code, rewritten so numba can type it, and
compiled with `numba.njit` on its first call.

The rewrite works on the text codegen printed (so the default backend's code, and what
`adjoint show` prints for it, never change) and makes three local edits:

    s1 = None                      ->  s1 = UNSET          (a typed placeholder, see
                                                            numba_runtime.py)
    for i in reversed(range(n)):   ->  for i in range(n - 1, -1, -1):
    return separate(ga, gb, like=(a, b))  ->  return (writeable(ga), writeable(gb))

Only the placeholders the compiler itself binds are rewritten (their line comes from the
function's own `def`); a `None` the user wrote keeps numba's meaning of None. The helpers
the code calls (unbroadcast, expand_to, ...) resolve inside numba to the overloads in
numba_runtime.py; the user's own functions the code calls are compiled with njit too, and
the forward/backward pairs of functions differentiated through are compiled by this
backend as well (pipeline.py keys them by backend).

numba types the code on the first call with each new set of argument types. What it
cannot type (a dict argument, a helper with no numba version, a numpy call numba lacks)
becomes an `UnsupportedSyntax` naming the function, the generated line and the user's
line it comes from, and numba's own reason in one line; never a numba traceback.
"""
from __future__ import annotations

import ast
import linecache
import re
import types as pytypes

import numba
import numpy as np
from numba.core.errors import NumbaError

from .. import loader
from ..errors import NonScalarOutput, UnsupportedSyntax
from ..runtime import core
from . import numba_calls, numba_matmul, numba_runtime
from .numba_runtime import NON_SCALAR, UNSET
from .numba_ufuncs import NUMPY

PLACEHOLDER = "UNSET"
_JITTED: dict = {}  # the user's function -> its njit version (each compiled once)


# the rewrite ----------------------------------------------------------------------------
def rewrite(source: str, namespace: dict, placeholder_lines: set,
            entry: str | None = None) -> tuple[str, dict]:
    """(numba source, its namespace) for generated `source`; `placeholder_lines` are the
    lines where the compiler binds a placeholder None; `entry`: the function whose
    gradients entry_point hands to the caller (they are not copied in numba, see owned)."""
    tree = ast.parse(source)
    names = {id(obj): name for name, obj in namespace.items()}
    namespace = dict(namespace)
    writeable = names.get(id(core.writeable)) or _free_name("writeable", namespace)
    namespace[writeable] = core.writeable
    if PLACEHOLDER in namespace:
        raise UnsupportedSyntax(f"the numba backend binds the name {PLACEHOLDER}, which this "
                                "function's code uses already")
    namespace[PLACEHOLDER] = UNSET
    matmul = _free_name("matmul", namespace)
    namespace[matmul] = numba_matmul.matmul
    rewriter = _Rewriter(placeholder_lines, names.get(id(core.separate)), writeable, matmul)
    for function in tree.body:
        rewriter.hand_back = writeable
        if isinstance(function, ast.FunctionDef) and function.name == entry:
            rewriter.hand_back = _free_name("hand_back", namespace)
            namespace[rewriter.hand_back] = numba_runtime.hand_back
        rewriter.visit(function)
    text = _with_lines_replaced(source, tree, rewriter.changed)
    return text, {name: _for_numba(obj) for name, obj in namespace.items()}


class _Rewriter(ast.NodeTransformer):
    def __init__(self, placeholder_lines, separate: str | None, writeable: str, matmul: str):
        self.placeholder_lines = placeholder_lines
        self.separate = separate
        self.writeable = writeable
        self.hand_back = writeable  # what the function being rewritten hands gradients back with
        self.matmul = matmul
        self.changed = set()  # the lines with something rewritten

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.MatMult):  # a cached helper: numba compiles @ slowly
            self.changed.add(node.lineno)
            return _call(self.matmul, node.left, node.right)
        return node

    def visit_Assign(self, node):
        self.generic_visit(node)
        if node.lineno in self.placeholder_lines and isinstance(node.value, ast.Constant) \
                and node.value.value is None:
            node.value = ast.Name(PLACEHOLDER, ast.Load())
            self.changed.add(node.lineno)
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        if _is_call_of(node, "reversed") and len(node.args) == 1:
            self.changed.add(node.lineno)
            inner = node.args[0]
            if _is_call_of(inner, "range") and not inner.keywords:
                return _reversed_range(inner.args)
            return ast.Subscript(inner, ast.Slice(None, None, ast.Constant(-1)), ast.Load())
        if _is_call_of(node, self.writeable) and len(node.args) <= 2:  # writeable(g, like)
            self.changed.add(node.lineno)  # (like: a container's structure; numba has none)
            return _call(self.hand_back, node.args[0])
        if self.separate and _is_call_of(node, self.separate) \
                and all(k.arg == "like" for k in node.keywords):
            self.changed.add(node.lineno)
            calls = [_call(self.hand_back, arg) for arg in node.args]
            return ast.Tuple(calls, ast.Load())
        return node


def _is_call_of(node, name: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name


def _reversed_range(args: list):
    """range(...) counting down over what range(*args) counts up over."""
    if len(args) == 1:
        start, stop, step = ast.Constant(0), args[0], None
    elif len(args) == 2:
        (start, stop), step = args, None
    else:
        start, stop, step = args
    if step is None:  # range(stop - 1, start - 1, -1)
        return _call("range", _minus_one(stop), _minus_one(start), ast.Constant(-1))
    # the last value start + (len - 1) * step, down to just past start
    count = _call("len", _call("range", start, stop, step))
    last = ast.BinOp(start, ast.Add(), ast.BinOp(_minus_one(count), ast.Mult(), step))
    return _call("range", last, ast.BinOp(start, ast.Sub(), step), ast.UnaryOp(ast.USub(), step))


def _minus_one(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return ast.Constant(node.value - 1)
    return ast.BinOp(node, ast.Sub(), ast.Constant(1))


def _call(name: str, *args):
    return ast.Call(ast.Name(name, ast.Load()), list(args), [])


def _with_lines_replaced(source: str, tree: ast.Module, changed: set) -> str:
    """The source with each changed line printed again from the rewritten tree; every
    other line (the comments naming the user's lines among them) stays as it was."""
    by_line: dict = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno in changed:
            by_line.setdefault(node.lineno, []).append(node)
    lines = source.splitlines()
    for number, nodes in by_line.items():
        line = lines[number - 1]
        indent = line[: len(line) - len(line.lstrip())]
        lines[number - 1] = indent + "; ".join(_first_line(node) for node in nodes)
    return "\n".join(lines) + "\n"


def _first_line(node: ast.stmt) -> str:
    """The rewritten text of the line a statement starts on (a loop: its header)."""
    if isinstance(node, ast.For):
        return f"for {ast.unparse(node.target)} in {ast.unparse(node.iter)}:"
    if isinstance(node, (ast.If, ast.While)):
        return f"{type(node).__name__.lower()} {ast.unparse(node.test)}:"
    return ast.unparse(node)


def _free_name(base: str, namespace: dict) -> str:
    name, k = base, 0
    while name in namespace:
        k += 1
        name = f"{base}_{k}"
    return name


def _for_numba(obj):
    """What numba code calls for `obj`: the user's plain functions compiled with njit,
    numpy with its fast transcendental functions (numba_ufuncs.py); helpers, other
    modules, numba functions and values as they are."""
    if obj is np:
        return NUMPY
    if isinstance(obj, pytypes.FunctionType) and not obj.__module__.startswith("adjoint."):
        if obj not in _JITTED:
            _JITTED[obj] = numba.njit(obj, no_cfunc_wrapper=True)
        return _JITTED[obj]
    return obj


# loading --------------------------------------------------------------------------------
def load(source: str, names: list, namespace: dict, origins: dict, label: str,
         defaults: dict) -> dict:
    """exec `source` (the rewritten code) and njit each of `names`: {name: dispatcher}.
    The functions see each other's njit versions (a pair calls its own halves);
    `defaults` maps a name to the (__defaults__, __kwdefaults__) its function takes."""
    scope = loader.load_module(source, label, namespace, origins)
    for name, (positional, keyword) in defaults.items():
        scope[name].__defaults__, scope[name].__kwdefaults__ = positional, keyword
    jitted = {name: numba_calls.njit(scope[name]) for name in names}
    scope.update(jitted)
    return jitted


def entry_point(dispatcher, function_name: str):
    """The function the dispatcher calls: the njit code, with numba's typing errors (on
    a first call with new argument types) turned into adjoint's errors."""
    def numba_gradient(*args, **kwargs):
        try:
            return owned(dispatcher(*args, **kwargs))
        except NumbaError as error:
            raise translate(error, function_name) from None
    numba_gradient.dispatcher = dispatcher
    return numba_gradient


def owned(result):
    """`result` with every array the caller may not own copied: the entry function hands
    its gradients back uncopied (numba_runtime.hand_back), and an array is kept only on
    proof that this call made it: numba allocated its memory (its MemInfo has no Python
    parent: not an argument, nor a view of one; a constant has no MemInfo) and no other
    array of the result may share that memory (two gradients of one buffer). Copying
    each one instead made the MLP's gradient 2.5x slower: a 1.6 MB copy a call made
    glibc give pages back to the system and fault them in again on the next call."""
    arrays = []
    _collect_arrays(result, arrays)
    if not arrays:
        return result
    keep = {id(a) for a in arrays if _allocated_by_numba(a) and not any(
        b is not a and np.may_share_memory(a, b) for b in arrays)}
    return _copy_others(result, keep)


def _allocated_by_numba(array) -> bool:
    # numba internals: an array numba boxes has its MemInfo as base, whose parent is the
    # Python object owning the memory, None for memory numba allocated. Anything else
    # (another numba version's layout, a bare array) is treated as not owned: copied.
    return array.flags.writeable and getattr(array.base, "parent", array) is None \
        and type(array.base).__name__.endswith("MemInfo")


def _collect_arrays(value, arrays: list):
    if isinstance(value, np.ndarray):
        arrays.append(value)
    elif isinstance(value, tuple):
        for part in value:
            _collect_arrays(part, arrays)


def _copy_others(value, keep: set):
    if isinstance(value, np.ndarray):
        return value if id(value) in keep else value.copy()
    if isinstance(value, tuple):
        return tuple(_copy_others(part, keep) for part in value)
    return value


_LOCATION = re.compile(r'File "([^"]+)", line (\d+)')
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def translate(error: Exception, function_name: str):
    """numba's error -> an AdjointError: the function, the generated line numba stopped
    at and the user's line it comes from, numba's reason in one line, and a fix."""
    text = _ANSI.sub("", str(error))
    if NON_SCALAR in text:
        return NonScalarOutput(f"{NON_SCALAR} (numba backend): "
                               f"{_reason(text).split(NON_SCALAR, 1)[-1].lstrip('; ')}")
    lines = [(f, int(n)) for f, n in _LOCATION.findall(text) if f.startswith("<adjoint")]
    where, origin = "", None
    if lines:
        file, number = lines[-1]
        where = f" at line {number} of the generated code: {_line(file, number)!r}"
        origin = loader.LINE_MAPS.get(file, {}).get(number, (None,))[0]
    what = (f"the numba backend cannot compile the gradient of {function_name}{where}; "
            f"numba says: {_reason(text)}")
    fix = ("use the default backend (drop backend='numba'), or write this step with what "
           "numba supports (arrays and numbers, no dicts or objects)")
    return UnsupportedSyntax.at(origin, what, fix)


def _reason(text: str) -> str:
    """numba's own reason, on one line: its message up to the first source excerpt,
    without the pipeline preamble."""
    keep = []
    for line in text.splitlines():
        if _LOCATION.search(line) or line.startswith("During:"):
            break
        line = line.strip().lstrip(">").strip()
        if line and not line.startswith("Failed in") and "candidate implementations" not in line:
            keep.append(line)
    reason = " ".join(keep[:2]) or "it cannot type this code"
    return reason if len(reason) <= 300 else reason[:297] + "..."


def _line(filename: str, number: int) -> str:
    return linecache.getline(filename, number).strip()


__all__ = ["entry_point", "load", "numba_runtime", "rewrite", "translate"]
