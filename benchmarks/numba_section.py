"""The numba backend's section of run.py: adjoint's value_and_grad with backend="numba"
against the hand-written version and against the default backend, in one interleaved run.

For each workload: the first call's time (numba types and compiles the code then; the
first workload also pays numba's own start-up, reported separately as a trivial njit
compile; the helpers come from numba's on-disk cache when an earlier run compiled them),
the cold first call (the same in a fresh process with an empty numba cache: what the
first gradient on a new machine or after an upgrade pays), a check that value and gradients equal the default backend's to 1e-12
(relative to the largest entry), then the timing. A workload numba cannot compile is
reported with adjoint's refusal, not timed. Goals (issue 14): loop <= 0.25x hand-written,
rnn no slower than the default backend, first-call build under 2 s.
"""
from __future__ import annotations

import os
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


def cold_first_call(bench: str) -> float:
    """Seconds of the first call of `bench`'s numba gradient in a fresh process whose
    numba cache (NUMBA_CACHE_DIR) is an empty temporary folder: every helper compiled."""
    with tempfile.TemporaryDirectory() as cache:
        path = os.pathsep.join(filter(None, [ROOT, HERE, os.environ.get("PYTHONPATH")]))
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=path)
        done = subprocess.run([sys.executable, "-c", COLD_FIRST_CALL, bench], env=env,
                              capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise SystemExit(f"cold first call of {bench} failed:\n{done.stderr[-2000:]}")
    return float(done.stdout.split()[-1])


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
    """The section's printed lines; `cold`: measure each workload's cold first call too."""
    try:
        startup = numba_startup()
    except ImportError:
        return ["numba backend: skipped, numba not importable (pip install 'adjoint[numba]')"]
    lines = [f"numba backend (numba start-up in this process: {startup:.2f} s, paid once)",
             ("first call: in this process (helpers from numba's disk cache if there); cold: "
              "a fresh process with an empty numba cache"),
             (f"{'benchmark':<8} {'first call':>10} {'cold':>8} {'same as default':>16} "
              f"{'x hand (paired)':>16} {'x default (paired)':>19}")]
    for bench, (f, hand, wrt, inputs) in workloads.WORKLOADS.items():
        if only and bench != only:
            continue
        args = inputs()
        df = adjoint.value_and_grad(f, wrt=wrt)
        dn = adjoint.value_and_grad(f, wrt=wrt, backend="numba")
        start = time.perf_counter()
        try:
            result = dn(*args)
        except adjoint.AdjointError as error:
            lines.append(f"{bench:<8} refused: {str(error).splitlines()[0][:150]}")
            continue
        build = time.perf_counter() - start
        error = max_rel_error(result, df(*args))
        if not error <= SAME_RTOL:
            raise SystemExit(f"NUMBA MISMATCH on {bench}: rel error {error:.2e} vs the default backend")
        cold_text = f"{cold_first_call(bench):>6.2f} s" if cold else f"{'-':>8}"
        candidates = [Candidate("hand-written", hand, args), Candidate("adjoint", df, args),
                      Candidate("adjoint numba", dn, args)]
        measure(candidates, target, repeats)
        lines.append(f"{bench:<8} {build:>8.2f} s {cold_text} {error:>16.1e} "
                     f"{paired_ratio(candidates[2], candidates[0]):>16.3f} "
                     f"{paired_ratio(candidates[2], candidates[1]):>19.3f}")
    return lines
