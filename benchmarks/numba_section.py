"""The numba backend's section of run.py: adjoint's value_and_grad with backend="numba"
against the hand-written version and against the default backend, in one interleaved run.

For each workload: the first call's time (numba types and compiles the code then; the
first workload also pays numba's own start-up, reported separately as a trivial njit
compile; the helpers come from numba's on-disk cache when an earlier run compiled them),
the cold first call (the same in a fresh process with an empty numba cache: what the
first gradient on a new machine or after an upgrade pays), the first call after
`adjoint numba-warm` (a fresh process whose cache holds only what that command
compiled: what a new gradient pays once the helpers are warmed), a check that value and gradients equal the default backend's to 1e-12
(relative to the largest entry), then the timing. A workload numba cannot compile is
reported with adjoint's refusal, not timed. Goals (issue 14): loop <= 0.25x hand-written,
rnn no slower than the default backend, first-call build under 2 s.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

import adjoint
import workloads
from timing import Candidate, measure, paired_ratio

SAME_RTOL = 1e-12
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

COLD_FIRST_CALL = """
import sys, time
import numba, adjoint, workloads
import adjoint.backends.numba
numba.njit(lambda x: x + 1.0)(1.0)  # numba's own start-up: not the gradient's
f, hand, wrt, inputs = workloads.WORKLOADS[sys.argv[1]]
args = inputs()
gradient = adjoint.value_and_grad(f, wrt=wrt, backend="numba")
start = time.perf_counter()
gradient(*args)
print(time.perf_counter() - start)
"""


def numba_startup() -> float:
    """Seconds to import numba and compile a trivial function (paid once per process)."""
    start = time.perf_counter()
    import numba
    numba.njit(lambda x: x + 1.0)(1.0)
    return time.perf_counter() - start


def cold_first_call(bench: str, warmed: str | None = None) -> float:
    """Seconds of the first call of `bench`'s numba gradient in a fresh process whose
    numba cache (NUMBA_CACHE_DIR) is an empty temporary folder (every helper compiled),
    or a copy of the folder `warmed`."""
    with tempfile.TemporaryDirectory() as cache:
        if warmed:
            shutil.copytree(warmed, cache, dirs_exist_ok=True)
        done = subprocess.run([sys.executable, "-c", COLD_FIRST_CALL, bench], env=_env(cache),
                              capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise SystemExit(f"cold first call of {bench} failed:\n{done.stderr[-2000:]}")
    return float(done.stdout.split()[-1])


def numba_warm(cache: str) -> float:
    """Run `adjoint numba-warm` with `cache` as numba's cache; its seconds."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "adjoint", "numba-warm"], env=_env(cache),
                          capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise SystemExit(f"adjoint numba-warm failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def _env(cache: str) -> dict:
    path = os.pathsep.join(filter(None, [ROOT, HERE, os.environ.get("PYTHONPATH")]))
    return dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=path)


def max_rel_error(result, reference) -> float:
    pairs = [(result[0], reference[0])] + list(zip(result[1], reference[1]))
    worst = 0.0
    for a, b in pairs:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        if a.shape != b.shape:
            return float("inf")
        scale = max(float(np.max(np.abs(b))) if b.size else 0.0, 1e-300)
        worst = max(worst, float(np.max(np.abs(a - b), initial=0.0)) / scale)
    return worst


def run(only, target: float, repeats: int, cold: bool = True) -> list:
    """The section's printed lines; `cold`: measure each workload's cold first call, and
    its first call after numba-warm, too."""
    try:
        startup = numba_startup()
    except ImportError:
        return ["numba backend: skipped, numba not importable (pip install 'adjoint[numba]')"]
    with tempfile.TemporaryDirectory() as warmed:
        warm_line = f", adjoint numba-warm: {numba_warm(warmed):.0f} s" if cold else ""
        lines = [f"numba backend (numba start-up in this process: {startup:.2f} s, paid once"
                 + f"{warm_line})",
                 ("first call: in this process (helpers from numba's disk cache if there); cold: "
                  "a fresh process with an empty numba cache; warmed: a fresh process after "
                  "numba-warm"),
                 (f"{'benchmark':<8} {'first call':>10} {'cold':>8} {'warmed':>8} "
                  f"{'same as default':>16} {'x hand (paired)':>16} {'x default (paired)':>19}")]
        for bench in workloads.WORKLOADS:
            if not only or bench == only:
                lines.append(_row(bench, target, repeats, warmed if cold else None))
    return lines


def _row(bench: str, target: float, repeats: int, warmed: str | None) -> str:
    f, hand, wrt, inputs = workloads.WORKLOADS[bench]
    args = inputs()
    df = adjoint.value_and_grad(f, wrt=wrt)
    dn = adjoint.value_and_grad(f, wrt=wrt, backend="numba")
    start = time.perf_counter()
    try:
        result = dn(*args)
    except adjoint.AdjointError as error:
        return f"{bench:<8} refused: {str(error).splitlines()[0][:150]}"
    build = time.perf_counter() - start
    error = max_rel_error(result, df(*args))
    if not error <= SAME_RTOL:
        raise SystemExit(f"NUMBA MISMATCH on {bench}: rel error {error:.2e} vs the default backend")
    if warmed:
        cold_text = f"{cold_first_call(bench):>6.2f} s {cold_first_call(bench, warmed):>6.2f} s"
    else:
        cold_text = f"{'-':>8} {'-':>8}"
    candidates = [Candidate("hand-written", hand, args), Candidate("adjoint", df, args),
                  Candidate("adjoint numba", dn, args)]
    measure(candidates, target, repeats)
    return (f"{bench:<8} {build:>8.2f} s {cold_text} {error:>16.1e} "
            f"{paired_ratio(candidates[2], candidates[0]):>16.3f} "
            f"{paired_ratio(candidates[2], candidates[1]):>19.3f}")
