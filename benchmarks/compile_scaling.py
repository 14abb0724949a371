"""How adjoint's compile time grows with the code it differentiates.

    python benchmarks/compile_scaling.py            # every size (a minute or two)
    python benchmarks/compile_scaling.py --quick    # small sizes only, a few seconds
    python benchmarks/compile_scaling.py --only nested_for --sizes 5 10 19
    python benchmarks/compile_scaling.py --profile straight_line:1000   # cProfile, top 25

Generated programs (each written to a temporary .py file and imported, so adjoint reads
its source like any user's):

    straight_line N   N statements, each reading the two before it
    nested_for D      D nested `for` loops, a statement at every level
    for_if D          D levels alternating `for` and `if`, a statement at every level
    chain K           K user functions, each calling the one before it
    long_sum N        one line summing N terms
    nested_calls D    np.sin(np.sin(...(x)...)), D calls deep
    loop_body N       one loop of N statements (each reads xs[t], recomputed, not taped)

For each size it prints the compile time (CPU seconds) of `adjoint.source` (parse, lower,
differentiate, optimize, generate, load; nothing is cached between sizes). Then the
median and percentiles of the compile time over every function of the fixture modules
tests/*_functions.py (default `wrt`, each compiled from scratch).

`make_program(kind, size)` is also used by tests/test_compile_scaling.py.
"""
from __future__ import annotations

import argparse
import atexit
import cProfile
import importlib.util
import inspect
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TESTS = os.path.join(ROOT, "tests")
sys.path.insert(0, ROOT)  # this checkout's adjoint, not an installed one

import adjoint  # noqa: E402
from adjoint.pipeline import forget_callees  # noqa: E402

SIZES = {
    "straight_line": [100, 1000, 5000],
    "nested_for": [5, 10, 15, 19],
    "for_if": [10, 20, 30],
    "chain": [50, 160, 300],
    "long_sum": [50, 250],
    "nested_calls": [50, 190],
    "loop_body": [100, 300, 1000],
}
QUICK_SIZES = {
    "straight_line": [100, 1000],
    "nested_for": [10, 19],
    "for_if": [10, 30],
    "chain": [50, 300],
    "long_sum": [250],
    "nested_calls": [190],
    "loop_body": [300],
}


# programs ---------------------------------------------------------------------------
def straight_line(n: int) -> str:
    lines = ["def f(x, y):", "    a0 = x * y", "    a1 = np.sin(a0) + x"]
    for i in range(2, n):
        lines.append(f"    a{i} = 0.5 * a{i - 1} + 0.3 * np.sin(a{i - 2}) * y")
    lines.append(f"    return a{n - 1}")
    return "\n".join(lines)


def nested_for(depth: int) -> str:
    """Two trips in the outer three loops, one in the others: 8 runs of the innermost."""
    lines = ["def f(x, y):", "    s = x"]
    for k in range(depth):
        pad = "    " * (k + 1)
        lines.append(f"{pad}for i{k} in range({2 if k < 3 else 1}):")
        lines.append(f"{pad}    s = s * 0.9 + y * {0.01 * (k + 1):.2f}")
    lines.append("    " * (depth + 1) + "s = np.sin(s) * y + s")
    lines.append("    return s")
    return "\n".join(lines)


def for_if(depth: int) -> str:
    """Even levels loop (two trips in the outer two), odd levels branch on the value."""
    lines = ["def f(x, y):", "    s = x"]
    loops = 0
    for k in range(depth):
        pad = "    " * (k + 1)
        if k % 2 == 0:
            lines.append(f"{pad}for i{k} in range({2 if loops < 2 else 1}):")
            loops += 1
        else:
            lines.append(f"{pad}if s < 1e6:")
        lines.append(f"{pad}    s = s * 0.9 + np.sin(y) * {0.01 * (k + 1):.2f}")
    lines.append("    " * (depth + 1) + "s = np.sin(s) * y + s")
    lines.append("    return s")
    return "\n".join(lines)


def chain(k: int) -> str:
    """f0 ... f{k-1}; f calls the last, which calls the one before, down to f0."""
    lines = ["def f0(x, y):", "    return np.sin(x) * y", ""]
    for i in range(1, k):
        lines += [f"def f{i}(x, y):", f"    return f{i - 1}(x, y) * 0.99 + x * 0.01", ""]
    lines += ["def f(x, y):", f"    return f{k - 1}(x, y)"]
    return "\n".join(lines)


def loop_body(n: int) -> str:
    lines = ["def f(x, y):", "    xs = np.linspace(0.5, 1.5, 5) * x", "    a0 = x", "    a1 = y",
             "    for t in range(3):"]
    for i in range(2, n):
        lines.append(f"        a{i} = 0.5 * a{i - 1} + 0.3 * np.sin(a{i - 2}) * xs[t]")
    lines.append(f"    return a{n - 1}")
    return "\n".join(lines)


def long_sum(n: int) -> str:
    terms = " + ".join(f"{(i % 7) + 1} * x * y" if i % 2 else f"np.sin(x * {i + 1})"
                       for i in range(n))
    return f"def f(x, y):\n    return {terms}"


def nested_calls(depth: int) -> str:
    return "def f(x, y):\n    return " + "np.sin(" * depth + "x * y" + ")" * depth


PROGRAMS = {"straight_line": straight_line, "nested_for": nested_for, "for_if": for_if,
            "chain": chain, "long_sum": long_sum, "nested_calls": nested_calls,
            "loop_body": loop_body}


_DIRECTORY = []  # one temporary folder per process, removed when it exits


def _program_directory() -> str:
    # The files must outlive make_program: adjoint reads the source back when it compiles.
    if not _DIRECTORY:
        _DIRECTORY.append(tempfile.mkdtemp(prefix="adjoint_scaling_"))
        atexit.register(shutil.rmtree, _DIRECTORY[0], True)
    return _DIRECTORY[0]


def make_program(kind: str, size: int):
    """The function `f` of a generated program, imported from a temporary file."""
    text = "import numpy as np\n\n\n" + PROGRAMS[kind](size) + "\n"
    directory = _program_directory()
    name = f"scaling_{kind}_{size}"
    path = os.path.join(directory, name + ".py")
    with open(path, "w") as file:
        file.write(text)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.f


# timing -----------------------------------------------------------------------------
def compile_seconds(func, wrt=None) -> float:
    """CPU seconds of this process (not wall time: on a shared machine other processes'
    load would be counted too)."""
    forget_callees()  # every function differentiated through is compiled again
    start = time.process_time()
    adjoint.source(func, wrt)
    return time.process_time() - start


def time_program(kind: str, size: int) -> str:
    func = make_program(kind, size)
    try:
        return f"{compile_seconds(func):8.3f} s"
    except RecursionError:
        return "RecursionError"
    except Exception as exc:  # a benchmark reports, it does not stop
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:60]}"


def fixture_functions() -> list:
    sys.path.insert(0, TESTS)
    found = []
    for filename in sorted(os.listdir(TESTS)):
        if not filename.endswith("_functions.py"):
            continue
        module = importlib.import_module(filename[:-3])
        found += [f for _, f in sorted(vars(module).items())
                  if inspect.isfunction(f) and f.__module__ == module.__name__]
    return found


def fixture_times(repeat: int) -> list:
    times = []
    for func in fixture_functions():
        try:
            times.append(min(compile_seconds(func) for _ in range(repeat)))
        except Exception:  # fixtures that are meant to be refused
            continue
    return sorted(times)


def percentile(sorted_values: list, q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def profile(spec: str, top: int) -> None:
    kind, size = spec.split(":")
    func = make_program(kind, int(size))
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        compile_seconds(func)
    finally:
        profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--only", choices=sorted(PROGRAMS), nargs="*", help="these programs only")
    parser.add_argument("--sizes", type=int, nargs="*", help="these sizes (with one --only)")
    parser.add_argument("--no-fixtures", action="store_true", help="skip the fixture functions")
    parser.add_argument("--profile", metavar="KIND:SIZE", help="cProfile one compile and stop")
    args = parser.parse_args()
    if args.profile:
        profile(args.profile, 25)
        return
    sizes = QUICK_SIZES if args.quick else SIZES
    for kind in args.only or sorted(PROGRAMS):
        for size in args.sizes or sizes[kind]:
            print(f"{kind:14s} {size:6d}  {time_program(kind, size)}", flush=True)
    if not args.no_fixtures:
        times = fixture_times(1 if args.quick else 3)
        ms = [1000 * t for t in times]
        print(f"fixture functions: {len(ms)} compiled; median {statistics.median(ms):.1f} ms, "
              f"p10 {percentile(ms, 0.1):.1f}, p90 {percentile(ms, 0.9):.1f}, "
              f"max {ms[-1]:.1f} ms")


if __name__ == "__main__":
    main()
