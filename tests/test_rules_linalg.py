"""Rules for products, diagonals and numpy.linalg."""
import warnings

import numpy as np
import pytest

from rule_harness import RNG, Case, check_case, check_float32, spd, uniform

# np.cross of 2-vectors still works in numpy 2, with a DeprecationWarning
pytestmark = pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")


def u(*shape):
    return uniform(shape)


def canonical_eigh(a, *args, **kwargs):
    """eigh with each eigenvector's sign fixed (largest entry positive), so finite
    differences do not see LAPACK flip a sign."""
    w, v = np.linalg.eigh(a, *args, **kwargs)
    index = np.argmax(np.abs(v), axis=-2)[..., None, :]
    signs = np.sign(np.take_along_axis(v, index, axis=-2))
    return w, v * signs


def well_conditioned(n, batch=()):
    return RNG.normal(size=batch + (n, n)) + 3 * np.eye(n)


CASES = []
for f in (np.matmul, np.dot):
    CASES += [Case(f, (u(2, 3), u(3, 4))), Case(f, (u(3,), u(3, 2))), Case(f, (u(2, 3), u(3,))),
              Case(f, (u(3,), u(3,)))]
CASES += [Case(np.matmul, (u(2, 2, 3), u(3, 4))), Case(np.matmul, (u(2, 1, 2, 3), u(3, 3, 2)))]
CASES += [Case(np.dot, (u(2, 2, 3), u(4, 3, 2))), Case(np.dot, (u(2, 3), 1.5)),
          Case(np.dot, (u(), u(2, 2)))]
CASES += [Case(np.vdot, (u(2, 3), u(6))), Case(np.vdot, (u(4), u(4)))]
CASES += [Case(np.inner, (u(3,), u(3,))), Case(np.inner, (u(2, 3), u(4, 3))),
          Case(np.inner, (u(2, 2, 3), u(3,))), Case(np.inner, (u(), u(2, 3)))]
CASES += [Case(np.outer, (u(3,), u(4,))), Case(np.outer, (u(2, 2), u(3,)))]
CASES += [Case(np.tensordot, (u(2, 3, 4), u(3, 4, 5))),
          Case(np.tensordot, (u(2, 3, 4), u(4, 3, 2)), {"axes": ([1, 0], [1, 2])}),
          Case(np.tensordot, (u(3, 4), u(4, 2)), {"axes": 1}),
          Case(np.tensordot, (u(2, 3), u(4,)), {"axes": 0}),
          Case(np.tensordot, (u(2, 3), u(3, 2)), {"axes": (-1, 0)})]


def einsum_case(*operands, **kw):
    """np.einsum's rule takes the positional arguments as one tuple (variadic)."""
    return Case(np.einsum, (operands,), call=lambda packed: np.einsum(*packed), **kw)


CASES += [einsum_case("ij,jk->ik", u(2, 3), u(3, 4)), einsum_case("ij,ij->", u(2, 3), u(2, 3)),
          einsum_case("ij,j", u(2, 3), u(3)), einsum_case("ii,i->i", u(3, 3), u(3)),
          einsum_case("bij,bjk->bik", u(2, 2, 3), u(2, 3, 2)), einsum_case("ij,k->ijk", u(2, 3), u(2)),
          einsum_case("ijk,j->i", u(2, 3, 4), u(3), note="k summed, only in a"),
          einsum_case("...ij,...jk->...ik", u(2, 2, 3), u(2, 3, 2), note="ellipsis"),
          einsum_case("...ij,jk->...ik", u(4, 2, 3), u(3, 2), note="ellipsis in one operand"),
          einsum_case("...i,...i", u(2, 1, 3), u(4, 3), note="ellipsis broadcasting"),
          einsum_case("ij->ji", u(2, 3), note="one operand"), einsum_case("ii", u(3, 3), note="trace"),
          einsum_case("ii->i", u(3, 3), note="diagonal"), einsum_case("ijk->", u(2, 3, 2)),
          einsum_case("ij,jk,kl->il", u(2, 3), u(3, 4), u(4, 2), note="three operands"),
          einsum_case("i,i,i,i", u(3), u(3), u(3), u(3), note="four operands"),
          einsum_case(u(2, 3), (0, 1), (1, 0), note="sublists"),
          einsum_case(u(2, 3), [0, 1], u(3, 4), [1, 2], [0, 2], note="sublists, two operands"),
          einsum_case(u(2, 2, 3), [Ellipsis, 1], [Ellipsis], note="sublists with ellipsis")]
CASES += [Case(np.kron, (u(2, 3), u(3, 2))), Case(np.kron, (u(3,), u(2, 2))),
          Case(np.kron, (u(2,), u(3,)))]
CASES += [Case(np.cross, (u(3,), u(3,))), Case(np.cross, (u(4, 3), u(3,))),
          Case(np.cross, (u(3, 4), u(4, 3)), {"axisa": 0}),
          Case(np.cross, (u(3, 2), u(3, 2)), {"axis": 0})]
try:  # 2-vectors: deprecated in numpy 2.0, an error in later releases
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        np.cross(np.ones(2), np.ones(2))
    CASES += [Case(np.cross, (u(2,), u(2,))), Case(np.cross, (u(4, 2), u(4, 3)))]
except ValueError:
    pass
CASES += [Case(np.trace, (u(3, 3),)), Case(np.trace, (u(3, 4),), {"offset": 1}),
          Case(np.trace, (u(2, 3, 3),), {"axis1": 1, "axis2": 2}),
          Case(np.trace, (u(3, 2, 3),), {"offset": -1, "axis1": 0, "axis2": 2})]
CASES += [Case(np.diagonal, (u(3, 3),)), Case(np.diagonal, (u(3, 4),), {"offset": 1}),
          Case(np.diagonal, (u(2, 3, 4),), {"offset": -1, "axis1": 1, "axis2": 2})]
CASES += [Case(np.diag, (u(3),)), Case(np.diag, (u(3),), {"k": -1}), Case(np.diag, (u(3, 4),)),
          Case(np.diag, (u(4, 3),), {"k": 1})]
CASES += [Case(np.diagflat, (u(3),)), Case(np.diagflat, (u(2, 2),), {"k": 1})]
for f in (np.tril, np.triu):
    CASES += [Case(f, (u(3, 3),)), Case(f, (u(3, 4),), {"k": 1}), Case(f, (u(2, 3, 3),), {"k": -1})]
CASES += [Case(np.linalg.norm, (u(5),)), Case(np.linalg.norm, (u(3, 4),)),
          Case(np.linalg.norm, (u(2, 3, 4),)),
          Case(np.linalg.norm, (u(3, 4),), {"axis": 1}),
          Case(np.linalg.norm, (u(3, 4),), {"axis": 0, "keepdims": True})]
for order in (1, 2, np.inf, -np.inf, 3, 0.5, -1):
    CASES.append(Case(np.linalg.norm, (u(5),), {"ord": order}, rtol=1e-4))
CASES += [Case(np.linalg.norm, (u(3, 4),), {"ord": 3, "axis": 1}, rtol=1e-4)]
for order in ("fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
    CASES.append(Case(np.linalg.norm, (u(3, 4),), {"ord": order}, rtol=1e-4))
CASES += [Case(np.linalg.norm, (u(2, 3, 4),), {"ord": "nuc", "axis": (2, 1)}, rtol=1e-4),
          Case(np.linalg.norm, (u(3, 2, 4),), {"ord": np.inf, "axis": (0, 2), "keepdims": True}),
          Case(np.linalg.norm, (u(3, 4, 2),), {"ord": 2, "axis": (-3, -2)}, rtol=1e-4)]
CASES += [Case(np.linalg.inv, (well_conditioned(3),)), Case(np.linalg.inv, (well_conditioned(2, (2,)),))]
CASES += [Case(np.linalg.det, (well_conditioned(3),)), Case(np.linalg.det, (well_conditioned(2, (3,)),))]
CASES += [Case(np.linalg.slogdet, (well_conditioned(3),)),
          Case(np.linalg.slogdet, (-well_conditioned(3, (2,)),))]
CASES += [Case(np.linalg.solve, (well_conditioned(3), u(3))),
          Case(np.linalg.solve, (well_conditioned(3), u(3, 2))),
          Case(np.linalg.solve, (well_conditioned(3, (2,)), u(3))),
          Case(np.linalg.solve, (well_conditioned(3, (2,)), u(3, 4))),
          Case(np.linalg.solve, (well_conditioned(3), u(2, 3, 1)))]
CASES += [Case(np.linalg.cholesky, (spd(3),), call=np.linalg.cholesky),
          Case(np.linalg.cholesky, (spd(2, (2,)),), call=np.linalg.cholesky),
          Case(np.linalg.cholesky, (spd(3),), {"upper": True}, call=np.linalg.cholesky)]
CASES += [Case(np.linalg.eigh, (spd(3),), call=canonical_eigh, rtol=1e-4),
          Case(np.linalg.eigh, (spd(3, (2,)),), call=canonical_eigh, rtol=1e-4),
          Case(np.linalg.eigh, (spd(3),), {"UPLO": "U"}, call=canonical_eigh, rtol=1e-4)]
CASES += [Case(np.linalg.eigvalsh, (spd(3),), call=np.linalg.eigvalsh),
          Case(np.linalg.eigvalsh, (spd(3, (2,)),), call=np.linalg.eigvalsh)]
CASES += [Case(np.linalg.pinv, (u(3, 2),), rtol=1e-4), Case(np.linalg.pinv, (u(2, 4),), rtol=1e-4),
          Case(np.linalg.pinv, (well_conditioned(3),), rtol=1e-4),
          Case(np.linalg.pinv, (u(2, 3, 2),), rtol=1e-4)]
CASES += [Case(np.linalg.matrix_power, (u(3, 3), 3)), Case(np.linalg.matrix_power, (u(3, 3), 1)),
          Case(np.linalg.matrix_power, (u(3, 3), 0)),
          Case(np.linalg.matrix_power, (well_conditioned(3), -2)),
          Case(np.linalg.matrix_power, (u(2, 2, 2), 2))]
CASES += [Case(np.linalg.multi_dot, ([u(2, 3), u(3, 4), u(4, 2)],)),
          Case(np.linalg.multi_dot, ([u(3), u(3, 4), u(4)],)),
          Case(np.linalg.multi_dot, ([u(3), u(3, 2), u(2, 2), u(2, 3)],))]
if hasattr(np.linalg, "vector_norm"):
    CASES += [Case(np.linalg.matmul, (u(2, 3), u(3, 4))), Case(np.linalg.matmul, (u(3,), u(2, 3, 2))),
              Case(np.linalg.tensordot, (u(2, 3, 4), u(3, 4, 2))),
              Case(np.linalg.tensordot, (u(2, 3), u(3, 2)), {"axes": 1}),
              Case(np.linalg.outer, (u(3), u(4))),
              Case(np.linalg.cross, (u(2, 3), u(3))), Case(np.linalg.cross, (u(3, 2), u(3, 2)), {"axis": 0}),
              Case(np.linalg.trace, (u(3, 3),)), Case(np.linalg.trace, (u(2, 3, 4),), {"offset": 1}),
              Case(np.linalg.diagonal, (u(3, 3),)), Case(np.linalg.diagonal, (u(2, 3, 4),), {"offset": -1}),
              Case(np.linalg.vector_norm, (u(5),)), Case(np.linalg.vector_norm, (u(2, 3, 4),)),
              Case(np.linalg.vector_norm, (u(2, 3, 4),), {"axis": (0, 2), "keepdims": True}),
              Case(np.linalg.vector_norm, (u(3, 4),), {"axis": 1, "ord": 1}),
              Case(np.linalg.vector_norm, (u(3, 4),), {"axis": -1, "ord": np.inf}),
              Case(np.linalg.matrix_norm, (u(3, 4),)), Case(np.linalg.matrix_norm, (u(2, 3, 4),)),
              Case(np.linalg.matrix_norm, (u(2, 3, 3),), {"ord": "nuc", "keepdims": True}, rtol=1e-4),
              Case(np.linalg.matrix_norm, (u(3, 4),), {"ord": 1}),
              Case(np.linalg.svdvals, (u(3, 4),), rtol=1e-4), Case(np.linalg.svdvals, (u(2, 4, 3),), rtol=1e-4),
              Case(np.linalg.matrix_transpose, (u(2, 3),)), Case(np.linalg.matrix_transpose, (u(2, 3, 4),)),
              Case(np.matrix_transpose, (u(2, 3),)), Case(np.matrix_transpose, (u(4, 2, 3),))]
    for f in (np.vecdot, np.linalg.vecdot):
        CASES += [Case(f, (u(3), u(3))), Case(f, (u(2, 3), u(3))), Case(f, (u(2, 1, 3), u(4, 3))),
                  Case(f, (u(3, 2), u(3, 2)), {"axis": 0}), Case(f, (u(2, 3, 2), u(3, 2)), {"axis": -2})]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.f32], ids=str)
def test_float32_stays_float32(case):
    check_float32(case)


# conventions ---------------------------------------------------------------------------
def test_norm_of_zero_vector_has_zero_gradient():
    from adjoint.rules.linalg import d_norm
    x = np.zeros(3)
    assert np.all(d_norm(1.0, 0.0, x) == 0.0)


def test_inf_norm_ties_split_evenly():
    from adjoint.rules.linalg import d_norm
    x = np.array([2.0, -2.0, 1.0])
    assert d_norm(1.0, 2.0, x, np.inf).tolist() == [0.5, -0.5, 0.0]


def test_eigh_gradient_is_symmetric_and_finite_for_repeated_eigenvalues():
    from adjoint.rules.linalg import d_eigh
    a = np.eye(3)
    w, v = np.linalg.eigh(a)
    grad = d_eigh((np.ones(3), np.zeros((3, 3))), (w, v), a)
    assert np.allclose(grad, grad.T) and np.all(np.isfinite(grad))
    assert np.allclose(grad, np.eye(3))  # d trace / d a


def test_einsum_sublists_name_the_same_contraction_as_the_string():
    from adjoint.runtime.einsum import explicit_form
    a, b = np.ones((2, 3)), np.ones((3, 4))
    assert explicit_form((a, [0, 1], b, [1, 2], [0, 2]))[0] == "ab,bc->ac"
    assert explicit_form(("...j,kj", np.ones((5, 2, 3)), np.ones((4, 3))))[0] == "abj,kj->abk"


