"""Is the source read from disk the source of the live function?

adjoint reads a function's source through linecache, from the file named by its code
object. If the file was edited after its module was imported (and not reloaded), that
text is not what runs: differentiating it would give the gradient of other code (or, when
lines moved, of another function). `is_source_of` compiles the text read, in a scope like
the function's own (the free names as cells, inside its class for name mangling, the
file's `from __future__` flags and module-level imports), and compares the result with
the live code object: bytecode, names, constants, first line.
"""
from __future__ import annotations

import __future__
import ast
import functools
import inspect
import symtable

from ..recursion import call_with_room

_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag


def is_source_of(func, tree: ast.Module, file_text: str) -> bool:
    """Whether `tree` (func's dedented lines parsed, each node on its line in a file
    reading `file_text`; its body is replaced here) compiles to the code func runs."""
    code = func.__code__
    body = tree.body
    owner = _class_name(func)
    if owner:  # a method: private names are mangled with its class's name
        body = [_located(ast.ClassDef(name=owner, bases=[], keywords=[], body=[], decorator_list=[]),
                         body)]
    if code.co_freevars:  # free names are cells of an enclosing function, as they were
        cells = [_located(ast.Assign(targets=[ast.Name(id=n, ctx=ast.Store())], value=ast.Constant(None)))
                 for n in code.co_freevars if n != "__class__" or not owner]
        no_args = ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[])
        body = [_located(ast.FunctionDef(name="outer", args=no_args, body=[], decorator_list=[],
                                         returns=None), cells + body)]
    imports = [_located(ast.Import(names=[ast.alias(name=name)])) for name in _imported_names(file_text)]
    tree.body = imports + body  # Python compiles `np.f(x)` differently for imported names
    try:  # (both steps recurse once per level of the user's nesting: room for deep code)
        compiled = call_with_room(_compile, tree, code.co_filename, code.co_flags & _FUTURE_FLAGS)
    except (SyntaxError, ValueError):
        return True  # not comparable here; the parser reports real syntax problems
    want = _shape(code)
    return any(_shape(c) == want for c in _code_objects(compiled)
               if c.co_name == code.co_name and c.co_firstlineno == code.co_firstlineno)


def _compile(tree: ast.Module, filename: str, flags: int):
    return compile(tree, filename, "exec", dont_inherit=True, flags=flags)


def _located(node: ast.stmt, body=None) -> ast.stmt:
    """A statement made here, given line 1 (all of its own nodes), then the parsed body
    (located already: fixing the whole tree took longer than compiling it)."""
    ast.fix_missing_locations(ast.Module(body=[node], type_ignores=[]))
    if body is not None:
        node.body = body
    return node


def _class_name(func) -> str:
    """'Model' for Model.loss or make.<locals>.Model.loss; '' for a plain function."""
    qualname = getattr(func.__code__, "co_qualname", func.__qualname__)  # (co_qualname: 3.11+)
    parts = qualname.split(".")  # (a wrapper copying __qualname__ keeps its own)
    return parts[-2] if len(parts) > 1 and parts[-2] != "<locals>" else ""


def _shape(code) -> tuple:
    """What two compiles of the same text agree on, and an edit changes."""
    consts = tuple(_shape(c) if inspect.iscode(c) else _constant(c) for c in code.co_consts)
    return (code.co_code, code.co_names, code.co_varnames, code.co_freevars,
            code.co_cellvars, code.co_argcount, code.co_kwonlyargcount, consts)


def _constant(value) -> tuple:
    """A constant as compared: strings up to whitespace, since a docstring read from the
    file is dedented with its function (and Python 3.13 dedents docstrings itself)."""
    if isinstance(value, str):
        return ("str", " ".join(value.split()))
    return (type(value).__name__, repr(value))


def _code_objects(code):
    for const in code.co_consts:
        if inspect.iscode(const):
            yield const
            yield from _code_objects(const)


@functools.lru_cache(maxsize=64)
def _imported_names(source: str) -> tuple:
    """Names bound by an import statement at the module level of `source`."""
    try:
        table = symtable.symtable(source, "<file>", "exec")
    except (SyntaxError, ValueError):
        return ()
    return tuple(sorted(s.get_name() for s in table.get_symbols() if s.is_imported()))
