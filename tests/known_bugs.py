"""Minimal repros of the bug families tests/test_random_programs.py found (no tests here).

Each function is the smallest program found (by hand, from a reduced random program) that
shows one family; its docstring names the symptom, the arguments that show it and the
family's tag in test_random_programs.KNOWN_FAILURES. Checked with
`adjoint.value_and_grad(f, wrt=all)` against central finite differences. When a family is
fixed, turn its repro into a regression test where the construct's tests live and delete
it here.
"""
import numpy as np


def view_inside_ufunc_counts_as_shared(M):
    """REFUSED, needlessly (over-refusal), M=np.ones((2, 2)): "z[...] = ... would change an
    array that another name may share". np.tanh(z.T) makes a new array; nothing shares z."""
    z = M.copy()
    t = np.tanh(z.T)
    z[0, 1] -= 0.44
    return np.sum(z * t)


def float_op_assign_refused_by_later_rebinding(a, x):
    """REFUSED, needlessly (over-refusal), a=0.3, x=np.array([0.5, 0.2, 0.1]): "a op= ...
    would change an array that a may share" on the first line, where a is the caller's
    float; the later `a = e` (a loop element) taints every version of the name."""
    a -= 1.0
    for e in x:
        a = e
    return a * 2.0
