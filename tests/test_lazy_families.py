"""scipy.stats, scipy.linalg and scipy.signal rules register on first use: `import adjoint`
does not import those packages (scipy.stats alone takes about a second), and the first
program that uses one finds its rules. Each check runs in a fresh interpreter, where
nothing has loaded them yet."""
import os
import subprocess
import sys
import textwrap

import pytest

from helpers import ROOT

pytest.importorskip("scipy.stats")


def _run(script: str, tmp_path) -> str:
    path = tmp_path / "program.py"  # a file: adjoint reads the functions' source
    path.write_text(textwrap.dedent(script))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's adjoint, not an installed one
    out = subprocess.run([sys.executable, str(path)], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_import_adjoint_leaves_the_lazy_packages_alone_and_a_gradient_loads_them(tmp_path):
    out = _run("""
        import sys
        import numpy as np
        import scipy.special  # adjoint registers its rules eagerly; some scipy versions
        already = set(sys.modules)  # import scipy.linalg from it: not adjoint's doing
        import adjoint
        print(sorted(p for p in ("scipy.stats", "scipy.signal", "scipy.linalg")
                     if p in sys.modules and p not in already))
        from scipy.stats import norm

        def loss(x, mu):
            return np.sum(norm.logpdf(x, mu, 2.0))

        x, mu = np.array([0.5, -1.0, 2.0]), np.array([0.1, 0.2, 0.3])
        dx, dmu = adjoint.grad(loss, wrt=("x", "mu"))(x, mu)
        print(np.allclose(dx, -(x - mu) / 4.0), np.allclose(dmu, (x - mu) / 4.0))
    """, tmp_path)
    assert out.split("\n")[:2] == ["[]", "True True"]


def test_a_users_rule_for_a_lazy_primal_is_kept_when_the_family_loads(tmp_path):
    """Registering a rule for norm.logpdf loads the family first, so adjoint's own rules
    never overwrite the user's (as if they had been registered at import)."""
    out = _run("""
        import numpy as np
        import scipy.linalg
        import adjoint
        from adjoint.rules.registry import lookup
        from scipy.stats import norm

        @adjoint.rule(norm.logpdf)
        def d_mine(g, y, x):
            return 3.0 * g

        print(lookup(norm.logpdf).func is d_mine, lookup(norm.cdf) is not None,
              lookup(scipy.linalg.sqrtm) is not None)

        def loss(x):
            return np.sum(norm.logpdf(x))

        print(adjoint.grad(loss)(np.ones(2)).tolist())
    """, tmp_path)
    assert out.split("\n")[:2] == ["True True True", "[3.0, 3.0]"]
