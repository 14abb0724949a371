"""Benchmark adjoint's generated gradients against hand-written numpy and against peers.

    python benchmarks/run.py            # full run, about a minute
    python benchmarks/run.py --quick    # a few seconds, rougher numbers
    python benchmarks/run.py --no-peers # adjoint and hand-written only
    python benchmarks/run.py --tapes --only rnn --quick   # what the RNN's tapes hold
    python benchmarks/run.py --no-numba # without the numba backend's section

Four workloads (see workloads.py): the lecture's sigmoid neuron on Python floats, wrt all
five inputs; a 784-256-10 tanh MLP with softmax cross-entropy on a batch of 64, wrt W1,
b1, W2, b2; a 50-step tanh RNN (batch 16, hidden 64, input 32) wrt h, Wh, Wx; and a
1000-step loop on Python floats wrt x, y. For each, adjoint's `value_and_grad` is checked
against a hand-written flat numpy forward+backward (relative error <= 1e-10, else the
run stops) and then timed against it, interleaved with any peer that imports (HIPS
autograd, PyTorch, JAX; see requirements-peers.txt). The headline number is adjoint /
hand-written.

Needs only numpy and adjoint; peers that do not import are skipped with a note.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

# the adjoint of this checkout, not whichever one is installed
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import adjoint  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numba_section  # noqa: E402
import workloads  # noqa: E402
from timing import Candidate, measure, paired_ratio  # noqa: E402

RTOL = 1e-10        # adjoint vs hand-written
PEER_RTOL = 1e-9    # peers vs hand-written (other libraries' exp/tanh may differ in the last bits)
TARGET_RATIO = 1.5
GOAL_RATIO = 1.1


class Mismatch(SystemExit):
    pass


def rel_error(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return float("inf")
    scale = max(float(np.max(np.abs(b))) if b.size else 0.0, 1e-300)
    return float(np.max(np.abs(a - b))) / scale if a.size else 0.0


def verify(label, result, reference, names, rtol) -> None:
    """Fail loudly unless value and every gradient agree with the reference."""
    value, grads = result
    ref_value, ref_grads = reference
    problems = []
    if len(grads) != len(ref_grads):
        problems.append(f"{len(grads)} gradients, expected {len(ref_grads)}")
    err = rel_error(value, ref_value)
    if not err <= rtol:
        problems.append(f"value {value!r} vs {ref_value!r} (rel {err:.2e})")
    for name, g, r in zip(names, grads, ref_grads):
        err = rel_error(g, r)
        if not err <= rtol:
            problems.append(f"grad_{name}: rel error {err:.2e} > {rtol:g} "
                            f"(shape {np.shape(g)} vs {np.shape(r)})")
    if problems:
        raise Mismatch(f"GRADIENT MISMATCH: {label} disagrees with the hand-written "
                       "reference:\n  " + "\n  ".join(problems))


def build(bench: str, peers: bool):
    """The candidates for one benchmark (hand-written first), checked against each other."""
    f, hand, wrt, inputs = workloads.WORKLOADS[bench]
    args = inputs()
    reference = hand(*args)
    df = adjoint.value_and_grad(f, wrt=wrt)
    verify(f"adjoint ({bench})", df(*args), reference, wrt, RTOL)
    candidates = [Candidate("hand-written numpy", hand, args), Candidate("adjoint", df, args)]
    notes = []
    if peers:
        for module, label, builder in workloads.PEERS[bench]:
            try:
                built = builder()
            except Exception as error:  # a broken install should not stop the benchmark
                notes.append(f"{label}: skipped ({type(error).__name__}: {error})")
                continue
            if built is None:
                notes.append(f"{label}: skipped, not importable "
                             "(pip install -r benchmarks/requirements-peers.txt)")
                continue
            call, peer_args, to_numpy = built
            try:
                result = to_numpy(call(*peer_args))
            except Exception as error:  # a peer that cannot run this workload is skipped
                notes.append(f"{label}: skipped on {bench} ({type(error).__name__}: "
                             f"{str(error).splitlines()[0] if str(error) else ''})")
                continue
            verify(f"{label} ({bench})", result, reference, wrt, PEER_RTOL)
            candidates.append(Candidate(label, call, peer_args))
    return candidates, notes, df


def environment() -> list:
    lines = [f"python {platform.python_version()} on {platform.machine()}, "
             f"{os.cpu_count()} cpus; numpy {np.__version__}; adjoint {_adjoint_version()}"]
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        lines.append(f"numpy BLAS: {blas.get('name')} {blas.get('version')}")
    except Exception:
        pass
    openblas = _openblas_runtime()
    if openblas:
        lines.append(f"OpenBLAS at run time: {openblas}")
    try:
        load = os.getloadavg()[0]
        lines.append(f"load average (1 min) at start: {load:.2f}" +
                     ("  <- busy machine: expect noisy numbers" if load > 0.5 else ""))
    except OSError:
        pass
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS",
                                      "OMP_NUM_THREADS", "MKL_NUM_THREADS") if k in os.environ}
    lines.append("environment: " + (", ".join(f"{k}={v}" for k, v in env.items()) or
                                    "no BLAS/OpenMP thread variables set"))
    return lines


def _openblas_runtime(set_threads=None) -> str:
    """Core type and thread count of the OpenBLAS numpy loaded (cheap; '' if not found);
    with `set_threads`, first set its thread count."""
    try:
        import ctypes
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps
                            if "openblas" in line.lower() and line.split()[-1].startswith("/")})
        for path in paths:
            lib = ctypes.CDLL(path)
            for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""),
                                   ("openblas", "64_"), ("openblas", "")):
                core = getattr(lib, f"{prefix}_get_corename{suffix}", None)
                threads = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if core is not None and threads is not None:
                    if set_threads:
                        getattr(lib, f"{prefix}_set_num_threads{suffix}")(int(set_threads))
                    core.restype = ctypes.c_char_p
                    return f"core {core().decode()}, {threads()} threads"
    except Exception:
        pass
    return ""


def peer_versions() -> str:
    found = []
    for name in ("autograd", "torch", "jax"):
        module = sys.modules.get(name)
        if module is not None:
            extra = f" ({module.get_num_threads()} threads)" if name == "torch" else ""
            found.append(f"{name} {_version(name)}{extra}")
    return ", ".join(found)


def _cpu_ticks():
    """(busy ticks of the whole machine, ticks of this process, ticks per second), Linux only."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
        busy = sum(fields) - fields[3] - (fields[4] if len(fields) > 4 else 0)
        with open("/proc/self/stat") as stat:
            mine = stat.read().rsplit(")", 1)[1].split()
        return busy, int(mine[11]) + int(mine[12]), os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _version(name) -> str:
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:
        return getattr(sys.modules.get(name), "__version__", "?")


def _adjoint_version() -> str:
    return adjoint.__version__


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.2f} us"
    return f"{seconds * 1e3:8.3f} ms"


def table(results) -> list:
    header = f"{'benchmark':<8} {'implementation':<20} {'min/call':>11} {'median/call':>11} " \
             f"{'x hand (min)':>12} {'x hand (paired)':>15}  loops x rounds"
    lines = [header, "-" * len(header)]
    for bench, candidates in results:
        hand = candidates[0]
        for c in candidates:
            lines.append(f"{bench:<8} {c.name:<20} {fmt_time(c.best):>11} {fmt_time(c.median):>11} "
                         f"{c.best / hand.best:>12.2f} {paired_ratio(c, hand):>15.2f}  "
                         f"{c.number} x {len(c.times)}")
        lines.append("")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short run (rougher numbers)")
    parser.add_argument("--no-peers", action="store_true", help="skip autograd, torch and jax")
    parser.add_argument("--only", choices=tuple(workloads.WORKLOADS), help="run one benchmark")
    parser.add_argument("--show-source", action="store_true", help="print adjoint's generated code")
    parser.add_argument("--tapes", action="store_true",
                        help="print what adjoint's generated code pushes on its tapes per loop "
                             "step (rnn, loop), at the benchmark's sizes")
    parser.add_argument("--blas-threads", type=int, metavar="N",
                        help="set numpy's OpenBLAS (and torch's) thread count first; default: "
                             "leave them as the environment made them")
    parser.add_argument("--no-numba", action="store_true",
                        help="skip the numba backend's section (numba_section.py)")
    parser.add_argument("--check", type=float, metavar="RATIO",
                        help="exit 2 if a headline ratio (paired median) exceeds RATIO")
    args = parser.parse_args(argv)
    target, repeats = (0.01, 7) if args.quick else (0.02, 75)
    start = time.perf_counter()
    busy_before = _cpu_ticks()
    if args.blas_threads:
        if not _openblas_runtime(set_threads=args.blas_threads):
            print(f"note: could not set OpenBLAS threads to {args.blas_threads}")
        if not args.no_peers:
            try:
                import torch
                torch.set_num_threads(args.blas_threads)
            except ImportError:
                pass

    print("adjoint benchmark" + (" (--quick)" if args.quick else ""))
    for line in environment():
        print("  " + line)
    results, notes = [], []
    tape_lines = []
    for bench in workloads.WORKLOADS:
        if args.only and bench != args.only:
            continue
        candidates, bench_notes, df = build(bench, not args.no_peers)
        notes += [n for n in bench_notes if n not in notes]
        if args.show_source:
            print(df.source)
        if args.tapes:
            import tapes
            lines = tapes.report(bench, df, candidates[1].args, workloads, candidates[0].func)
            tape_lines += lines + [""]
        measure(candidates, target, repeats)
        results.append((bench, candidates))
    versions = peer_versions()
    if versions:
        print("  peers: " + versions)
    print(f"  gradients checked: adjoint vs hand-written to {RTOL:g} relative, peers to {PEER_RTOL:g}")
    print(f"  {repeats} interleaved rounds of ~{target * 1e3:.0f} ms per implementation; "
          "paired = median over rounds of (time / hand-written time in the same round)")
    print()
    for line in table(results):
        print(line)
    for note in notes:
        print("note: " + note)
    if tape_lines:
        print()
        print("\n".join(tape_lines[:-1]))
        print()
    if not args.no_numba:
        print()
        print("\n".join(numba_section.run(args.only, target, repeats, cold=not args.quick)))
        print()
    worst = 0.0
    heads = []
    for bench, candidates in results:
        ratio = paired_ratio(candidates[1], candidates[0])
        worst = max(worst, ratio)
        heads.append(f"{bench} {ratio:.2f}")
    verdict = "within" if worst <= TARGET_RATIO else "ABOVE"
    print(f"headline adjoint / hand-written (paired median): {', '.join(heads)}  "
          f"[{verdict} the {TARGET_RATIO} target; goal {GOAL_RATIO}]")
    others = _cpu_ticks()
    if others is not None and busy_before is not None:
        elapsed = time.perf_counter() - start
        used = (others[0] - busy_before[0] - (others[1] - busy_before[1])) / others[2]
        share = used / elapsed
        print(f"total {elapsed:.1f} s; other processes used {used:.1f} cpu-seconds meanwhile "
              f"({share:.0%} of one core)" +
              ("  <- a busy machine: rerun for cleaner numbers" if share > 0.25 else ""))
    else:
        print(f"total {time.perf_counter() - start:.1f} s")
    if args.check is not None and worst > args.check:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
