"""Frontend: a Python function object -> its gast FunctionDef and where it came from.

Input: a live function. Output: a `Parsed` holding the gast `FunctionDef` whose line
numbers are the real lines of the real file, the source lines for quoting, and the
environment (globals, builtins, closure cells) its free names resolve in.
Guarantees: either a `Parsed` or a `NoSource` error saying why and what to do.
"""
from __future__ import annotations

import ast
import builtins
import inspect
import linecache
import textwrap
import weakref
from dataclasses import dataclass

import gast

from ..errors import Location, NoSource
from ..collector import fewer_collections
from ..recursion import call_with_room, make_room
from ..syntax import walk_nodes
from .livesource import is_source_of


@dataclass
class Parsed:
    func: object  # the live function
    node: gast.FunctionDef
    filename: str
    lines: list[str]  # every line of the file, for quoting (index 0 is line 1)
    globals: dict
    closure: dict  # free variable name -> cell

    def location(self, node) -> Location:
        line = getattr(node, "lineno", None) or self.node.lineno
        col = getattr(node, "col_offset", 0) or 0
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return Location(self.filename, line, col, text)

    def nodes(self) -> list:
        """Every node of the function's tree (in walk_nodes' order), walked once for the
        questions whose answer is a set (the Specializer's and the lowering's): nothing
        changes a parsed tree (see _PARSED), and a new tree is a new Parsed."""
        known = getattr(self, "_nodes", None)
        if known is None or known[0] is not self.node:
            known = self._nodes = (self.node, list(walk_nodes(self.node)))
        return known[1]


@fewer_collections  # a big function's tree is many small objects: see collector.py
def parse_function(func) -> Parsed:
    """Read, dedent and parse `func`'s source, keeping real line and column numbers."""
    if not inspect.isfunction(func):
        raise NoSource.at(definition_location(func),
                          f"adjoint can only differentiate Python functions; got {func!r}",
                          "pass a function written in Python (def ...), or register a rule for "
                          "this callable with @adjoint.rule")
    name = func.__qualname__
    known = _PARSED.get(func)
    if known is not None and known[0] is func.__code__ and _lines_of(func) is known[2].lines:
        make_room(known[1])
        return known[2]
    filename, lines, first = _source_lines(func)
    if not lines:
        raise NoSource.at(None, f"the source of {name} cannot be found",
                          "define the function in a .py file (or a notebook cell) rather than "
                          "at an interactive prompt or through exec")
    all_lines = linecache.getlines(filename)
    text = textwrap.dedent("".join(lines))
    indent = len(lines[0]) - len(lines[0].lstrip())
    try:  # (blank lines first: every node on its line in the file, nothing to shift)
        tree = ast.parse("\n" * (first - 1) + text)
        module = call_with_room(gast.ast_to_gast, tree)
    except SyntaxError as exc:
        raise NoSource.at(None, f"the source of {name} does not parse on its own: {exc}",
                          "define the function with a plain def statement") from None
    if not is_source_of(func, tree, "".join(all_lines)):
        raise NoSource.at(definition_location(func), f"the source of {name} in {filename} is not "
                          "the code that runs: the file changed on disk since it was imported",
                          "reload the module (importlib.reload, or restart the kernel) so that the "
                          "code that runs is the code in the file")
    node = module.body[0]
    if func.__name__ == "<lambda>":
        node = _lambda_as_def(module, func)
    if not isinstance(node, gast.FunctionDef):
        raise NoSource.at(None, f"the source of {name} is not a def statement",
                          "write the function with def")
    depth = _shift_locations(node, indent)
    make_room(depth)  # the compile's walks go as deep
    closure = dict(zip(func.__code__.co_freevars, func.__closure__ or ()))
    parsed = Parsed(func, node, filename, all_lines, func.__globals__, closure)
    _PARSED[func] = (func.__code__, depth, parsed)
    return parsed


# function -> (its code, tree depth, Parsed): the Specializer and each compile of one
# function parse it once (a fifth of compiling 1000 statements was parsing them again).
# Nothing changes a parsed tree (the lowering copies what it rewrites, local.renamed).
# A new __code__, or a file linecache read again (it changed on disk), misses.
_PARSED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _lines_of(func) -> list:
    """The lines of func's file as linecache holds them now (the same list until the file
    is read again)."""
    filename = func.__code__.co_filename
    linecache.checkcache(filename)
    return linecache.getlines(filename, func.__globals__)


def _source_lines(func):
    """(file, the function's lines, first line number), read through its code object.

    Not inspect.getsourcelines: that follows functools.wraps' __wrapped__ to the
    function inside a decorator, and the wrapper is the code that actually runs."""
    code = func.__code__
    filename = code.co_filename
    linecache.checkcache(filename)  # a file edited since it was read: read it again
    lines = linecache.getlines(filename, func.__globals__)
    start = code.co_firstlineno - 1
    if not lines or start >= len(lines):
        return filename, [], 0
    try:
        block = inspect.getblock(lines[start:])
    except (SyntaxError, IndentationError, ValueError):  # tokenize trouble: take the line
        block = lines[start:start + 1]
    return filename, block, code.co_firstlineno


def definition_location(func) -> Location | None:
    """Where `func` (or the function a bound method or functools.partial wraps) is
    defined: its file and first line, for errors about the function as a whole."""
    for _ in range(8):  # bound method -> function, partial -> function, ...
        code = getattr(func, "__code__", None)
        if code is not None:
            text = linecache.getline(code.co_filename, code.co_firstlineno)
            return Location(code.co_filename, code.co_firstlineno, 0, text)
        func = getattr(func, "__func__", None) or getattr(func, "func", None)
        if func is None:
            return None
    return None


def _lambda_as_def(module, func):
    """act = lambda x: np.tanh(x)  ->  def act(x): return np.tanh(x), with the lambda's
    own line and column numbers."""
    code = func.__code__
    names = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    found = []
    for parent in gast.walk(module):
        for child in gast.iter_child_nodes(parent):
            if isinstance(child, gast.Lambda) and _argument_names(child.args) == names:
                found.append((parent, child))
    if len(found) != 1:
        raise NoSource.at(None, f"cannot tell which lambda on line {code.co_firstlineno} is "
                          "being differentiated", "write it as a def function")
    parent, lam = found[0]
    name = "lambda_"
    if isinstance(parent, gast.Assign) and len(parent.targets) == 1 \
            and isinstance(parent.targets[0], gast.Name):
        name = parent.targets[0].id
    body = gast.Return(value=lam.body)
    gast.copy_location(body, lam.body)
    node = gast.FunctionDef(name=name, args=lam.args, body=[body], decorator_list=[],
                            returns=None, type_comment=None, type_params=[])
    return gast.copy_location(node, lam)


def _argument_names(args) -> list:
    return [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]


def _shift_locations(tree, col_offset: int) -> int:
    """Move columns from the dedented snippet back to the real file (lines are right
    already); return how many nodes deep the tree goes (for recursion.make_room)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        sub, depth = stack.pop()
        if depth > deepest:
            deepest = depth
        for value in (getattr(sub, name, None) for name in sub._fields):  # (ast's child nodes,
            if isinstance(value, list):                                    # read directly)
                stack.extend((child, depth + 1) for child in value if isinstance(child, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append((value, depth + 1))
        if col_offset and getattr(sub, "lineno", None) is not None:
            sub.col_offset = (sub.col_offset or 0) + col_offset
    return deepest


MISSING = object()


def signature_arguments(args) -> list:
    """Every parameter, in order: positional, *args, keyword-only, **kwargs."""
    return args.posonlyargs + args.args + ([args.vararg] if args.vararg else []) + \
        args.kwonlyargs + ([args.kwarg] if args.kwarg else [])


def resolve_free_name(parsed: Parsed, name: str):
    """Value of a free (non-local) name: closure cell, then globals, then builtins."""
    if name in parsed.closure:
        try:
            return parsed.closure[name].cell_contents
        except ValueError:
            return MISSING
    if name in parsed.globals:
        return parsed.globals[name]
    return getattr(builtins, name, MISSING)
