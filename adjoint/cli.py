"""Command line: `adjoint show FILE.py:FUNC [--wrt a,b] [--at "x=1.0,y=2"] [--no-optimize]
[--mode jvp]`.

`show` prints the generated gradient source (with --mode jvp, the forward-mode code). Exit status: 0 on success, 1 with a short
message (no traceback) when adjoint cannot differentiate the function, 2 on bad usage.
Each command is a pair add_<name>(subparsers) / run_<name>(args) listed in COMMANDS.
"""
from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import sys

from . import api
from .check import add_check, run_check  # noqa: F401  (found through COMMANDS)
from .eject import add_eject, run_eject  # noqa: F401
from .graph import add_graph, run_graph  # noqa: F401
from .errors import AdjointError, BadArguments

USAGE_ERROR = 2


COMMANDS = ["show", "check", "eject", "graph"]  # each: add_<name>(subparsers) and run_<name>(args) -> output text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="adjoint", description="adjoint: readable gradients "
                                     "for numeric Python, generated as source code")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        globals()[f"add_{name}"](commands)
    args = parser.parse_args(argv)
    try:
        text = globals()[f"run_{args.command}"](args)
    except (UsageError, BadArguments) as exc:  # e.g. --wrt naming no parameter
        print(f"adjoint: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except AdjointError as exc:
        print(f"adjoint: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


def add_target_arguments(parser) -> None:
    """FILE.py:FUNC, --wrt and --at: how every command names a gradient."""
    parser.add_argument("target", metavar="FILE.py:FUNC", help="the function to differentiate")
    parser.add_argument("--wrt", help="comma-separated parameter names (default: the first)")
    parser.add_argument("--at", metavar="NAME=VALUE,...",
                        help="example scalar inputs, e.g. x=-2,y=5: the code specialized "
                             "to scalars (without broadcasting bookkeeping)")


def add_show(commands) -> None:
    show = commands.add_parser("show", help="print the generated gradient code of a function")
    add_target_arguments(show)
    show.add_argument("--no-optimize", action="store_true",
                      help="keep one backward line per forward operation")
    show.add_argument("--all", action="store_true",
                      help="also print the code of every function differentiated through")
    show.add_argument("--mode", choices=("grad", "jvp"), default="grad",
                      help="grad: the reverse-mode gradient code (default); jvp: the "
                           "forward-mode code adjoint.jvp runs")
    from .check import STAGES
    show.add_argument("--dump", metavar="STAGE", choices=STAGES,
                      help="print the IR after STAGE instead of the code; STAGE is one of "
                           + ", ".join(STAGES))
    show.add_argument("--color", action=argparse.BooleanOptionalAction, default=None,
                      help="highlight the code (default: only when stdout is a terminal and "
                           "pygments is installed)")


def run_show(args) -> str:
    from .check import dump_stage, highlight
    func, wrt, examples = resolve_target(args)
    if args.dump == "optimize" and args.no_optimize:
        raise UsageError("--dump optimize shows the optimized IR: drop --no-optimize")
    if args.dump and args.mode == "jvp":
        raise UsageError("--dump shows the reverse-mode stages: drop --mode jvp")
    if args.dump:
        text = dump_stage(func, wrt, examples, args.dump, optimize=not args.no_optimize)
    else:
        text = api.source(func, wrt, *examples, optimize=not args.no_optimize, callees=args.all,
                          mode=args.mode)
    return highlight(text, args.color)


def resolve_target(args):
    """(function, wrt, example arguments) from FILE.py:FUNC, --wrt and --at."""
    func = load_function(args.target)
    wrt = tuple(args.wrt.split(",")) if args.wrt else None
    examples = parse_at(args.at, func) if args.at else ()
    return func, wrt, examples


class UsageError(Exception):
    pass


def load_function(target: str):
    """Import FILE.py as a module and return its function FUNC."""
    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        raise UsageError(f"expected FILE.py:FUNC, got {target!r}")
    if not os.path.isfile(path):
        raise UsageError(f"no such file: {path}")
    directory = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, directory)  # so the file's own sibling imports work
    module_name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's module failed to import: report it, briefly
        raise AdjointError(f"importing {path} failed: {type(exc).__name__}: {exc}") from None
    func = module
    for part in name.split("."):
        func = getattr(func, part, None)
        if func is None:
            raise UsageError(f"{path} has no function {name!r}")
    if isinstance(func, api.GradientFunction):
        func = func._specializer.func
    return func


def parse_at(text: str, func) -> tuple:
    """'x=-2,y=5' -> example arguments in the function's parameter order."""
    import inspect
    values = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--at expects NAME=VALUE pairs; got {item!r}")
        try:
            values[name.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            raise UsageError(f"--at value for {name.strip()} is not a number: {value!r}") from None
    params = list(inspect.signature(func).parameters)
    unknown = set(values) - set(params)
    if unknown:
        raise UsageError(f"--at names unknown parameters: {', '.join(sorted(unknown))}")
    missing = [p for p in params if p not in values]
    if missing:
        raise UsageError(f"--at needs a value for every parameter; missing {', '.join(missing)}")
    return tuple(values[p] for p in params)


if __name__ == "__main__":
    sys.exit(main())
