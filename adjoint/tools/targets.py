"""How every command names a gradient: FILE.py:FUNC, --wrt and --at.

`resolve_target(args)` imports the user's file (its prints go to stderr, so a command's
stdout stays what the command writes; sys.exit or KeyboardInterrupt at import is reported,
not obeyed) and returns (function, wrt, example arguments). Bad usage raises UsageError
(exit 2); a module that fails to import raises AdjointError (exit 1).
"""
from __future__ import annotations

import ast
import contextlib
import importlib.util
import inspect
import math
import os
import sys

from ..errors import AdjointError


class UsageError(Exception):
    """Bad command-line usage: the CLI exits 2 with this message."""


def add_target_arguments(parser) -> None:
    parser.add_argument("target", metavar="FILE.py:FUNC", help="the function to differentiate")
    parser.add_argument("--wrt", help="comma-separated parameter names (default: the first)")
    parser.add_argument("--at", metavar="NAME=VALUE,...",
                        help="example scalar inputs, e.g. x=-2,y=5: the code specialized "
                             "to scalars (without broadcasting bookkeeping)")


def resolve_target(args):
    """(function, wrt, example arguments) from FILE.py:FUNC, --wrt and --at."""
    func = load_function(args.target)
    wrt = tuple(w.strip() for w in args.wrt.split(",")) if args.wrt else None
    examples = parse_at(args.at, func) if args.at else ()
    return func, wrt, examples


def load_function(target: str):
    """Import FILE.py as a module and return its function FUNC."""
    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        raise UsageError(f"expected FILE.py:FUNC, got {target!r}")
    if not path.endswith(".py"):
        raise UsageError(f"expected a Python file ending in .py, got {path!r}")
    if not os.path.isfile(path):
        raise UsageError(f"no such file: {path}")
    module = _import_file(path)
    func = module
    for part in name.split("."):
        func = getattr(func, part, None)
        if func is None:
            raise UsageError(f"{path} has no function {name!r}")
    func = getattr(getattr(func, "_specializer", None), "func", func)  # a @grad-decorated name
    if not callable(func):
        raise UsageError(f"{path}:{name} is a {type(func).__name__}, not a function")
    return func


def _import_file(path: str):
    directory = os.path.dirname(os.path.abspath(path))
    if directory not in sys.path:
        sys.path.insert(0, directory)  # so the file's own sibling imports work
    module_name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        with contextlib.redirect_stdout(sys.stderr):  # keep stdout for what the command writes
            spec.loader.exec_module(module)
    except (Exception, SystemExit, KeyboardInterrupt) as exc:  # report, briefly; never obey
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise AdjointError(f"importing {path} failed: {what}") from None
    return module


def parse_at(text: str, func) -> tuple:
    """'x=-2,y=5' -> example arguments in the function's parameter order."""
    values = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--at expects NAME=VALUE pairs; got {item!r}")
        if name in values:
            raise UsageError(f"--at gives {name} twice")
        values[name] = _number(name, value.strip())
    params = list(inspect.signature(func).parameters)
    unknown = set(values) - set(params)
    if unknown:
        raise UsageError(f"--at names unknown parameters: {', '.join(sorted(unknown))}")
    missing = [p for p in params if p not in values]
    if missing:
        raise UsageError(f"--at needs a value for every parameter; missing {', '.join(missing)}")
    return tuple(values[p] for p in params)


def _number(name: str, text: str):
    """An int or float literal, or nan/inf (as float('nan') reads them)."""
    if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        return float(text)
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        value = None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            (isinstance(value, float) and math.isnan(value) and "nan" not in text.lower()):
        raise UsageError(f"--at value for {name} is not a number: {text!r}")
    return value
