"""Where adjoint's time goes beyond the hand-written code (a diagnostic, not the benchmark).

    python benchmarks/overhead.py

Three measurements, all min-of-repeats:

1. the per-call checks of the entry a call runs (adjoint/entry.py: argument types and
   dtypes, guards, the gradient function in front), each part timed around the same
   generated statements; then whole-call
   "what-if" variants: the generated code by hand-applied suggested changes, each
   checked against the hand-written gradient and timed interleaved with it;
2. a statement-by-statement profile of the generated MLP gradient and of the
   hand-written one (each statement compiled on its own and timed in sequence);
3. each runtime helper the generated code calls (unbroadcast, expand_to, even_ties,
   matmul_left/right) against the plain numpy a person would write for the same shapes.

Reads adjoint's private `_specializer` to reach the generated function: it is a tool for
adjoint's developers, and may need updating when those internals move.
"""
from __future__ import annotations

import ast
import inspect
import os
import statistics
import sys
import textwrap
import time
import timeit

import numpy as np

# the adjoint of this checkout, not whichever one is installed
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import adjoint  # noqa: E402
from adjoint.runtime import core as runtime  # noqa: E402  (the helpers generated code calls)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads  # noqa: E402
from whatif import (mlp_lazy_broadcast, mlp_max_stopped, mlp_plain_divide,  # noqa: E402
                    mlp_shape_specialized, neuron_seed_folded)


def best(stmt, scope, repeat=15, target=0.02) -> float:
    """Seconds per execution of `stmt`: min over `repeat` runs of ~`target` s each."""
    timer = timeit.Timer(stmt, globals=scope)
    number = 1
    while timer.timeit(number) < target / 10:
        number *= 10
    number = max(1, int(number * target / max(timer.timeit(number), 1e-9)))
    return min(timer.repeat(repeat, number)) / number


def us(seconds) -> str:
    return f"{seconds * 1e6:9.3f} us"


# --- 1. the dispatcher ------------------------------------------------------------------

def generated_function(df, args):
    """The generated function adjoint compiled for these arguments' types."""
    spec = df._specializer
    return spec.compiled[spec.key_of(args)].function


def entry_parts(label, f, wrt, args):
    """What a call costs beyond the generated statements: the entry (adjoint/entry.py)
    written again with some of its checks, each around the same statements, timed
    interleaved with the generated function called directly."""
    df = adjoint.value_and_grad(f, wrt=wrt)
    df(*args)
    spec = df._specializer
    key = spec.key_of(args)
    entry, guards = spec.cache[key]
    compiled = spec.compiled[key]
    impl = compiled.function
    prefix, types_, fresh, scope = spec.entry_checks(key, compiled, guards)
    body = (compiled.source, impl.__code__.co_filename)

    def written(checks):
        return spec.writer.write(prefix, checks, impl, body, scope)
    rows = [("generated function called directly", impl),
            ("entry without checks (its try blocks and flag)", written([])),
            (f"entry with the {len(types_)} type/dtype checks only", written(types_)),
            (f"entry with the {len(fresh)} guards only", written(fresh)),
            ("entry as shipped (types and guards)", entry),
            ("adjoint value_and_grad (the gradient function -> entry)", df)]
    names = [f"a{i}" for i in range(len(args))]
    call = ", ".join(names)
    timings = {}
    for _ in range(3):  # interleave
        for name, fn in rows:
            t = best(f"f({call})", dict(zip(names, args), f=fn), repeat=7)
            timings[name] = min(t, timings.get(name, t))
    base = timings[rows[0][0]]
    print(f"\n[{label}] per-call overhead beyond the generated statements (guards: "
          f"{[k for _, k, _ in guards]})")
    for name, _ in rows:
        print(f"  {name:<62} {us(timings[name])}  extra {us(timings[name] - base)}")
    return df, timings[rows[-1][0]] - base


def compare(label, rows, args, reference, wrt, rounds=5):
    """Time each (name, function) interleaved, after checking it against `reference`."""
    names = [f"a{i}" for i in range(len(args))]
    call = ", ".join(names)
    for name, fn in rows:
        value, grads = fn(*args)
        for w, g, r in zip(wrt, grads, reference[1]):
            err = np.max(np.abs(np.asarray(g) - r)) / max(np.max(np.abs(r)), 1e-300)
            if not err <= 1e-10:
                raise SystemExit(f"{label}: variant {name!r} gives a wrong grad_{w} ({err:.1e})")
    timings = {name: [] for name, _ in rows}
    for _ in range(rounds):
        for name, fn in rows:
            timings[name].append(best(f"f({call})", dict(zip(names, args), f=fn), repeat=3))
    hand_times = timings[rows[-1][0]]
    print(f"\n[{label}] what-if variants of the generated code, interleaved; {rounds} rounds "
          "(all checked against hand-written to 1e-10)")
    print(f"  {'variant':<66} {'min/call':>12} {'x hand':>7} {'paired':>7}")
    for name, _ in rows:
        t = min(timings[name])
        paired = statistics.median(a / b for a, b in zip(timings[name], hand_times))
        print(f"  {name:<66} {us(t)} {t / min(hand_times):7.3f} {paired:7.3f}")


# --- 2. statement-level profile -----------------------------------------------------------

def statements(source: str, name: str):
    """(text, code) for each top-level statement of function `name` in `source`."""
    tree = ast.parse(textwrap.dedent(source))
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    out = []
    for stmt in fn.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # docstring
        if isinstance(stmt, ast.Return):
            stmt = ast.Assign(targets=[ast.Name("_result", ast.Store())], value=stmt.value)
        mod = ast.fix_missing_locations(ast.Module(body=[stmt], type_ignores=[]))
        out.append((ast.unparse(stmt), compile(mod, f"<{name}>", "exec")))
    return out


def profile_statements(stmts, scope, rounds=300):
    """min and median seconds of each statement, executed in order `rounds` times."""
    empty = compile("pass", "<empty>", "exec")
    times = [[] for _ in stmts]
    overhead = []
    clock = time.perf_counter
    for _ in range(rounds):
        ns = dict(scope)
        for k, (_, code) in enumerate(stmts):
            t0 = clock()
            exec(code, ns)
            times[k].append(clock() - t0)
        t0 = clock()
        exec(empty, ns)
        overhead.append(clock() - t0)
    floor = min(overhead)
    return [(text, max(min(ts) - floor, 0.0), max(statistics.median(ts) - floor, 0.0))
            for (text, _), ts in zip(stmts, times)]


def category(text: str) -> str:
    for helper in ("matmul_left", "matmul_right", "unbroadcast", "expand_to", "tie_share",
                   "even_ties", "safe_mul", "safe_div", "separate",
                   "seed"):
        if helper + "(" in text:
            return helper
    if "@" in text:
        return "matmul (@)"
    return "other numpy/python"


def mlp_profile(df):
    args = workloads.mlp_inputs()
    params = list(inspect.signature(workloads.mlp).parameters)
    generated = generated_function(df, args)
    gen_stmts = statements(df.source, generated.__name__)
    gen_scope = dict(generated.__globals__, **dict(zip(params, args)))
    hand_stmts = statements(inspect.getsource(workloads.mlp_by_hand), "mlp_by_hand")
    hand_scope = dict(workloads.mlp_by_hand.__globals__, **dict(zip(params, args)))
    for _ in range(20):  # warm up
        profile_statements(gen_stmts, gen_scope, 1)
        profile_statements(hand_stmts, hand_scope, 1)
    gen = profile_statements(gen_stmts, gen_scope)
    hand = profile_statements(hand_stmts, hand_scope)
    for title, rows in (("adjoint generated", gen), ("hand-written", hand)):
        total = sum(r[1] for r in rows)
        print(f"\n[mlp] statement profile, {title}: sum of per-statement minima {us(total)}")
        print(f"  {'min':>12} {'median':>12}  statement")
        for text, lo, med in rows:
            print(f"  {us(lo)} {us(med)}  {text}")
    seed_at = next(k for k, (text, _, _) in enumerate(gen) if text.startswith("grad_"))
    fwd, bwd = gen[:seed_at], gen[seed_at:]
    hand_seed = next(k for k, (text, _, _) in enumerate(hand) if text.startswith("dZ"))
    print("\n[mlp] adjoint's generated gradient, by part (sum of per-statement minima)")
    print(f"  forward ({len(fwd)} statements)  {us(sum(r[1] for r in fwd))}   "
          f"hand-written forward ({hand_seed} statements) {us(sum(r[1] for r in hand[:hand_seed]))}")
    groups: dict = {}
    for text, lo, _ in bwd:
        c = category(text)
        n, t = groups.get(c, (0, 0.0))
        groups[c] = (n + 1, t + lo)
    for c, (n, t) in sorted(groups.items(), key=lambda kv: -kv[1][1]):
        print(f"  backward {c:<22} {n:2d} statements {us(t)}")
    print(f"  backward total ({len(bwd)} statements)  {us(sum(r[1] for r in bwd))}   "
          f"hand-written backward ({len(hand) - hand_seed} statements) "
          f"{us(sum(r[1] for r in hand[hand_seed:]))}")
    softmax_end = next(k for k, (text, _, _) in enumerate(bwd) if text.startswith("grad_s2"))
    print(f"  softmax-cross-entropy backward, seed to grad_Z ({softmax_end} statements): "
          f"{us(sum(r[1] for r in bwd[:softmax_end]))}  vs hand-written `dZ = (E / S - Y) / N`: "
          f"{us(hand[hand_seed][1])}")


# --- 3. helpers vs plain numpy ------------------------------------------------------------

def helper_costs():
    X, Y, W1, b1, W2, b2 = workloads.mlp_inputs()
    H = np.tanh(X @ W1 + b1)
    Z = H @ W2 + b2
    M = np.max(Z, axis=1, keepdims=True)
    E = np.exp(Z - M)
    S = np.sum(E, axis=1, keepdims=True)
    g_hidden = np.ones_like(H)
    g_out = np.ones_like(Z)
    g_col = np.ones((Z.shape[0], 1))
    scope = dict(np=np, rt=runtime, X=X, Y=Y, W1=W1, b1=b1, W2=W2, b2=b2, H=H, Z=Z, M=M, E=E,
                 S=S, gh=g_hidden, go=g_out, gc=g_col, g_rows=np.ones(Z.shape[0]), g0=-1.0,
                 s5=np.ones(Z.shape[0]), s6=np.float64(1.0))
    grads4 = (np.ones_like(W1), np.ones_like(b1), np.ones_like(W2), np.ones_like(b2))
    scope["grads4"] = grads4
    pairs = [
        ("unbroadcast(gh, H)  [same shape: no-op]", "rt.unbroadcast(gh, H)", "gh"),
        ("unbroadcast(gh, b1)  [64x256 -> 256]", "rt.unbroadcast(gh, b1)", "gh.sum(axis=0)"),
        ("unbroadcast(go, b2)  [64x10 -> 10]", "rt.unbroadcast(go, b2)", "go.sum(axis=0)"),
        ("unbroadcast(go, M)  [64x10 -> 64x1]", "rt.unbroadcast(go, M)",
         "go.sum(axis=1, keepdims=True)"),
        ("matmul_right(gh, X, W1)  [X.T @ g]", "rt.matmul_right(gh, X, W1)", "X.T @ gh"),
        ("matmul_right(go, H, W2)  [H.T @ g]", "rt.matmul_right(go, H, W2)", "H.T @ go"),
        ("matmul_left(go, H, W2)  [g @ W2.T]", "rt.matmul_left(go, H, W2)", "go @ W2.T"),
        ("expand_to(gc, E, 1, True)  [64x1 -> 64x10]", "rt.expand_to(gc, E, 1, True)",
         "gc  # left to broadcast"),
        ("expand_to(g_rows, Y, 1)  [64 -> 64x10]", "rt.expand_to(g_rows, Y, 1)",
         "g_rows[:, None]"),
        ("expand_to(g0, s5)  [scalar -> 64]", "rt.expand_to(g0, s5)", "g0  # left to broadcast"),
        ("np.size(s6) / np.size(s5)", "np.size(s6) / np.size(s5)", "1 / 64"),
    ]
    for name, call, plain in [
            ("tie_share", "rt.tie_share(Z, M, 1, True)", "(Z == M) / np.sum(Z == M, axis=1, keepdims=True)"),
            ("even_ties", "rt.even_ties(Z, M, 1, True)", "(Z == M) / np.sum(Z == M, axis=1, keepdims=True)"),
            ("safe_mul", "rt.safe_mul(gc, 1 / S)", "gc / S"),
            ("safe_div", "rt.safe_div(gc, S)", "gc / S"),
            ("separate", "rt.separate(*grads4)", "grads4")]:
        if hasattr(runtime, name):
            pairs.append((call[3:] + ("  [64x10]" if "Z" in call else ""), call, plain))
    print("\n[helpers] each runtime helper on the MLP's shapes vs the plain numpy for the same job")
    print(f"  {'helper call':<46} {'helper':>12} {'plain':>12} {'overhead':>12}")
    for label, helper, plain in pairs:
        th, tp = best(helper, scope), best(plain, scope)
        print(f"  {label:<46} {us(th)} {us(tp)} {us(th - tp)}")


def main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(description="where adjoint's time goes")
    parser.add_argument("--blas-threads", type=int, default=1, metavar="N",
                        help="OpenBLAS threads for this diagnostic (default 1: the overheads "
                             "measured here are Python/numpy work that BLAS threads don't "
                             "touch, and a 1-thread GEMM doesn't stall when another process "
                             "holds a core); 0 leaves the environment's setting")
    args = parser.parse_args(argv)
    from run import _openblas_runtime
    print(f"OpenBLAS: {_openblas_runtime(set_threads=args.blas_threads or None) or 'not found'}")
    np.seterr(all="raise")
    args = workloads.neuron_inputs()
    df, _ = entry_parts("neuron", workloads.neuron, workloads.NEURON_WRT, args)
    generated = generated_function(df, args)
    compare("neuron", [("adjoint value_and_grad (as shipped)", df),
                       ("generated function called directly (no checks)", generated),
                       ("  ... and seed 1.0 folded into grad_s3", neuron_seed_folded),
                       ("hand-written", workloads.neuron_by_hand)],
            args, workloads.neuron_by_hand(*args), workloads.NEURON_WRT, rounds=9)
    args = workloads.mlp_inputs()
    df, _ = entry_parts("mlp", workloads.mlp, workloads.MLP_WRT, args)
    generated = generated_function(df, args)
    compare("mlp", [("adjoint value_and_grad (as shipped)", df),
                    ("generated function called directly (no checks)", generated),
                    ("  ... and reductions' gradients broadcast lazily (no expand_to)",
                     mlp_lazy_broadcast),
                    ("  ... and unbroadcast/matmul_*/separate resolved for the shapes",
                     mlp_shape_specialized),
                    ("  ... and log's gradient a plain divide (no safe_div)", mlp_plain_divide),
                    ("  ... and no gradient through the max (stop_gradient)", mlp_max_stopped),
                    ("hand-written", workloads.mlp_by_hand)],
            args, workloads.mlp_by_hand(*args), workloads.MLP_WRT, rounds=15)
    mlp_profile(df)
    helper_costs()


if __name__ == "__main__":
    main()
