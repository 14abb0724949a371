"""adjoint show FILE.py:FUNC: print the generated gradient code (or the IR after a stage).

    adjoint show FILE.py:FUNC [--wrt a,b] [--at "x=1,y=2"] [--no-optimize] [--all]
                              [--dump STAGE] [--mode grad|jvp] [--backend numba]
                              [--color/--no-color]

With --mode jvp, the forward-mode code adjoint.jvp runs (with every function it calls
through) instead of the reverse-mode gradient.
"""
from __future__ import annotations

import argparse
import os
import sys

from .. import api
from ..backends import BACKENDS
from ..dispatch import Specializer
from ..display import highlighted
from ..errors import BadArguments
from .targets import UsageError, add_target_arguments, resolve_target

STAGES = ("lower", "reverse", "optimize")  # IR stages `adjoint show --dump` can print


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
    show.add_argument("--dump", metavar="STAGE", choices=STAGES,
                      help="print the IR after STAGE instead of the code; STAGE is one of "
                           + ", ".join(STAGES))
    show.add_argument("--backend", choices=BACKENDS, default="python",
                      help="print the code this backend compiles (numba: rewritten so "
                           "numba.njit can type it)")
    show.add_argument("--color", action=argparse.BooleanOptionalAction, default=None,
                      help="highlight the code (default: only when stdout is a terminal and "
                           "pygments is installed)")


def run_show(args) -> str:
    func, wrt, examples = resolve_target(args)
    if args.dump == "optimize" and args.no_optimize:
        raise UsageError("--dump optimize shows the optimized IR: drop --no-optimize")
    if args.dump and args.mode == "jvp":
        raise UsageError("--dump shows the reverse-mode stages: drop --mode jvp")
    if args.dump:
        text = dump_stage(func, wrt, examples, args.dump, optimize=not args.no_optimize)
    else:
        text = api.source(func, wrt, *examples, optimize=not args.no_optimize, callees=args.all,
                          mode=args.mode, backend=args.backend)
    return highlight(text, args.color)


def dump_stage(func, wrt, examples: tuple, stage: str, optimize: bool = True) -> str:
    """The IR of `func`'s gradient after `stage` (one of STAGES), as `show` compiles it."""
    if stage not in STAGES:
        raise BadArguments(f"unknown stage {stage!r}; the stages are {', '.join(STAGES)}")
    spec = Specializer(func, wrt, optimize, False)
    key = spec.key_of(examples) if examples else spec.default_key()
    compiled = spec.compile_for(key)
    if stage not in compiled.stages:
        raise BadArguments(f"there is no {stage} stage without optimization")
    header = f"# gradient of {func.__name__} with respect to {', '.join(spec.wrt_names)}: " \
             f"IR after {stage}\n"
    return header + compiled.stages[stage].rstrip("\n") + "\n"


def wants_color(stream=None) -> bool:
    """Color by default only on a terminal (never into a pipe or file), unless NO_COLOR."""
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR") \
        and os.environ.get("TERM") != "dumb"


def highlight(text: str, color: bool | None = None) -> str:
    """Python syntax highlighting with ANSI escapes, if pygments is installed and color
    is asked for (None: when stdout is a terminal); otherwise the text unchanged."""
    if color is None:
        color = wants_color()
    if not color:
        return text
    colored = highlighted(text, "terminal")
    return text if colored is None else colored


