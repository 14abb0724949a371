"""Rules for np.linalg.svd, eig and eigvals (harness: finite differences of
Re(sum(conj(g) * f)) with a random non-uniform g for every output, u, s, vh or w, v)."""
import numpy as np
import pytest

from rule_harness import Case, RNG, check_case, check_float32


def real_spectrum(n, batch=()):
    """A matrix with distinct real eigenvalues (eigenvectors real, up to sign)."""
    p = RNG.normal(size=batch + (n, n)) + 2 * np.eye(n)
    w = np.arange(1.0, n + 1) * 1.5 + RNG.uniform(0, 0.3, size=batch + (n,))
    return (p * np.expand_dims(w, -2)) @ np.linalg.inv(p)


def rotation_like(n):
    """A matrix with complex eigenvalues (for eigvals, whose values have no phase)."""
    return RNG.normal(size=(n, n)) + np.diag(np.arange(n, dtype=float))


svd = np.linalg.svd
CASES = [Case(svd, (RNG.normal(size=(3, 3)),)), Case(svd, (RNG.normal(size=(4, 2)),), {"full_matrices": False}),
         Case(svd, (RNG.normal(size=(2, 4)),), {"full_matrices": False}),
         Case(svd, (RNG.normal(size=(2, 3, 3)),), note="stack"),
         Case(svd, (RNG.normal(size=(4, 3)),), {"compute_uv": False}),
         Case(svd, (RNG.normal(size=(2, 2, 3)),), {"compute_uv": False, "full_matrices": False})]
CASES += [Case(np.linalg.eig, (real_spectrum(3),)), Case(np.linalg.eig, (real_spectrum(2, (2,)),)),
          Case(np.linalg.eigvals, (real_spectrum(4),)), Case(np.linalg.eigvals, (rotation_like(3),)),
          Case(np.linalg.eigvals, (rotation_like(3)[None].repeat(2, 0),), note="stack")]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_matches_finite_differences(case):
    check_case(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.f32], ids=str)
def test_float32_stays_float32(case):
    check_float32(case)


def test_svd_full_matrices_with_used_extra_vectors_is_refused():
    from adjoint.errors import AdjointError
    from adjoint.rules.decompositions import d_svd
    a = RNG.normal(size=(4, 2))
    y = np.linalg.svd(a)
    with pytest.raises(AdjointError, match="full_matrices=False"):
        d_svd((np.ones((4, 4)), np.zeros(2), np.zeros((2, 2))), y, a)
