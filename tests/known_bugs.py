"""Minimal repros of the bug families tests/test_random_programs.py found (no tests here).

Each function is the smallest program found (by hand, from a reduced random program) that
shows one family; its docstring names the symptom, the arguments that show it and the
family's tag in test_random_programs.KNOWN_FAILURES. Checked with
`adjoint.value_and_grad(f, wrt=all)` against central finite differences. When a family is
fixed, turn its repro into a regression test where the construct's tests live and delete
it here.
"""
import numpy as np


def nested_early_return(b):
    """CRASH (tag "nested return"), b=0.5: IRError "statement 5 assigns s0 a second
    time". A return inside an `if` nested in another `if`, with a return after both."""
    if b > 0.0:
        if b < 1.0:
            return b
    return b * 3.0


def self_assignment_in_branch(a):
    """WRONG (tag "copy assignment"), a=0.7: gradient 0.0, finite differences 2.0. `a = a`
    inside an if (or a for/while body) loses the gradient flowing back into a; silent."""
    if a > 0.0:
        a = a
    return a * 2.0


def self_assignment_in_loop(a, M):
    """WRONG (tag "copy assignment"), a=0.7, M=np.ones((2, 2)): gradient for a 0.0,
    finite differences 2.0. The same family in a for loop over an array."""
    for row in M:
        a = a
    return a * 2.0


def copy_of_entry_in_loop(a, M):
    """WRONG (tag "copy assignment"), a=0.7, M=np.full((2, 2), 0.3): gradient for a 2.0
    (finite differences 0.0) and for M[1, 1] 4.0 (finite differences 2.0). A plain copy
    `a = M[1, 1]` in a loop body: the old a keeps receiving the gradient. With
    `a = M[1, 1] * 1.0` the gradient is right."""
    for i in range(2):
        a = M[1, 1]
    return a * 2.0


def entry_of_array_rebound_in_branch(y, a):
    """CRASH (tag "NoneType len"), y=np.array([0.5, 0.2]), a=0.3 (branch not taken) or 30.0:
    TypeError "object of type 'NoneType' has no len()" from the compiler: a float rebound,
    in a branch, to an expression with an array entry, next to another branch-local
    update."""
    s = a * 2.0
    if a > 10.0:
        s = s + 1.0
        a = a - y[0]
    return a + s


def scalar_rebound_to_array_in_branch(y, a):
    """WRONG (gradient structure), y=np.array([0.5, 0.2]), a=30.0: the gradient for the
    float a has shape (2,) (not summed back to a's shape); with a=0.3 it is a 0-d array,
    not a float. The float parameter is rebound to an array in one branch (`a = y` alone
    gives the float a a gradient of y's shape too)."""
    if a > 10.0:
        a = a - y
    return np.sum(a)
