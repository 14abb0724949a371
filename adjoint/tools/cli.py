"""Command line: `adjoint show|check|eject|graph FILE.py:FUNC ...`, `adjoint numba-warm`
(or python -m adjoint).

Exit status: 0 on success, 1 with a short message (no traceback) when adjoint cannot
differentiate the function, 2 on bad usage. Each command is a pair of functions,
add (build its argument parser) and run (args -> the text to print), listed in COMMANDS.
"""
from __future__ import annotations

import argparse
import sys

from ..errors import AdjointError, BadArguments
from .check import add_check, run_check
from .eject import add_eject, run_eject
from .graph import add_graph, run_graph
from .numba_warm import add_numba_warm, run_numba_warm
from .show import add_show, run_show
from .targets import UsageError

USAGE_ERROR = 2

COMMANDS = {  # name -> (add its parser, run it)
    "show": (add_show, run_show),
    "check": (add_check, run_check),
    "eject": (add_eject, run_eject),
    "graph": (add_graph, run_graph),
    "numba-warm": (add_numba_warm, run_numba_warm),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="adjoint", description="adjoint: readable gradients "
                                     "for numeric Python, generated as source code")
    commands = parser.add_subparsers(dest="command", required=True)
    for add, _ in COMMANDS.values():
        add(commands)
    args = parser.parse_args(argv)
    try:
        text = COMMANDS[args.command][1](args)
    except (UsageError, BadArguments) as exc:  # e.g. --wrt naming no parameter
        print(f"adjoint: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except AdjointError as exc:
        print(f"adjoint: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # -o into a missing directory, onto a directory, ...
        print(f"adjoint: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
