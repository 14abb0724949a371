"""The registry as a whole: every rule has a test case, parses into a template, names its
parameters as numpy does; missing rules are clear errors; docs/coverage.md is current."""
import importlib
import inspect
from pathlib import Path

import numpy as np
import pytest

import adjoint
from adjoint.forward.rules import forward_of
from adjoint.lowering.fence import check_supported
from adjoint.lowering.frontend import parse_function
from adjoint.lowering.lower import lower
from adjoint.reverse.template import template_of
from adjoint.rules.registry import RULES, display_name
from adjoint.rules import BUILTIN_NONDIFF, BUILTIN_RULES, load_lazy_families

from rule_harness import Case, check_case

TESTS = Path(__file__).resolve().parent
load_lazy_families()  # scipy.stats' rules register on first use; these tests are about all


def all_cases():
    cases = []
    for path in sorted(TESTS.glob("test_rules_*.py")):
        module = importlib.import_module(path.stem)
        cases += [c for c in getattr(module, "CASES", []) if isinstance(c, Case)]
    return cases


def _key(primal):
    # a bound method (scipy.stats.norm.logpdf) is a new object at each read; equal ones
    # bind the same function to the same object
    return primal if isinstance(primal, str) or inspect.ismethod(primal) else id(primal)


# rules that refuse when they run (a derivative one order beyond np.linalg.svd's, in a
# branch of code differentiated through by its source): tests/test_through_source.py
REFUSE_WHEN_RUN = {"adjoint.runtime.norm_slopes.singular_norm_hvp"}


def test_every_rule_has_a_finite_difference_case():
    covered = {_key(case.primal) for case in all_cases()}
    missing = sorted(display_name(k) for k in BUILTIN_RULES
                     if _key(k) not in covered and display_name(k) not in REFUSE_WHEN_RUN)
    assert not missing, f"rules without a case in tests/test_rules_*.py: {', '.join(missing)}"


# Rules that came with the scipy/fft/decompositions work while forward mode was being
# written, without forward rules yet: forward mode (jvp, jacfwd, Hessians, HVPs, grad of
# grad) refuses them with MissingRule (tests/test_forward_rules.py checks that), and the
# fft transforms, eig and eigvals make complex values, which it refuses anyway.
FFT = ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "rfft2", "rfftn", "irfft",
       "irfft2", "irfftn")
FORWARD_PENDING = {"np.r_", "np.c_", "np.partition", "np.angle", "numpy.linalg.eig",
                   "numpy.linalg.eigvals", "numpy.linalg.svd",
                   "scipy.linalg._basic.solve_triangular", "scipy.linalg._basic.solve_banded",
                   "scipy.linalg._matfuncs.sqrtm", "scipy.linalg._solvers.solve_sylvester",
                   "scipy.signal._signaltools.convolve", "sorted",
                   "adjoint.runtime.pytrees.getfield"} | {f"numpy.fft.{name}" for name in FFT}


def forward_pending(primal) -> bool:
    name = display_name(primal)
    # scipy moves functions between private modules across versions (sqrtm lives in
    # scipy.linalg._matfuncs_sqrtm in scipy 1.15): match those by package and name
    public = f"{name.split('.')[0]}.{name.split('.')[1]}.{name.rsplit('.', 1)[1]}" \
        if name.startswith("scipy.") else name
    return name in FORWARD_PENDING or name.startswith("scipy.stats.") or \
        any(public == f"{p.split('.')[0]}.{p.split('.')[1]}.{p.rsplit('.', 1)[1]}"
            for p in FORWARD_PENDING if p.startswith("scipy."))


def test_every_rule_has_a_forward_rule():
    """Declared, written or derived; tests/test_forward_rules.py checks each on every case
    above against finite differences, so a rule without a forward rule fails there too.
    The pending ones must really lack one (strict: shrink the list as they are written)."""
    load_lazy_families()
    missing = sorted(display_name(k) for k, r in BUILTIN_RULES.items()
                     if forward_of(r) is None and not forward_pending(k))
    assert not missing, f"rules without a forward rule: {', '.join(missing)}"
    written = sorted(display_name(k) for k, r in BUILTIN_RULES.items()
                     if forward_pending(k) and forward_of(r) is not None)
    assert not written, f"forward rules now exist for: {', '.join(written)}; drop them from FORWARD_PENDING"


def test_a_custom_rule_gets_a_forward_rule_by_decorator_or_derivation():
    def cube(x):
        return x * x * x

    def shifted(x):
        return x[1:] - x[:-1]

    try:
        @adjoint.rule(cube)  # elementwise formula: its forward rule is derived
        def d_cube(g, y, x):
            return g * 3 * x * x

        @adjoint.rule(shifted)
        def d_shifted(g, y, x):
            return np.concatenate([[0.0], g]) - np.concatenate([g, [0.0]])

        def f(x):
            return np.sum(shifted(cube(x)) ** 2)
        x, v = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.5, -2.0])
        with pytest.raises(adjoint.MissingRule, match=r"forward-mode rule for shifted(.|\n)*d_shifted "
                           r"\(.*test_registry.py:\d+\)(.|\n)*@d_shifted.forward"):
            adjoint.jvp(f, (x,), (v,))

        @d_shifted.forward
        def j_shifted(dx, y, x):
            return dx[1:] - dx[:-1]
        _, tangent = adjoint.jvp(f, (x,), (v,))
        eps = 1e-6
        assert tangent == pytest.approx((f(x + eps * v) - f(x - eps * v)) / (2 * eps), rel=1e-6)
    finally:
        RULES.pop(cube, None)
        RULES.pop(shifted, None)


def test_every_case_is_for_a_registered_rule():
    unknown = sorted({str(c) for c in all_cases() if c.primal not in RULES})
    assert not unknown, f"cases for functions without a rule: {unknown}"


@pytest.mark.parametrize("rule", list(BUILTIN_RULES.values()), ids=lambda r: r.func.__qualname__)
def test_rule_template_parses_without_falling_back_to_a_call(rule):
    """The rule body is straight-line code the compiler pastes (not called as a black box)."""
    parsed = parse_function(rule.func)
    check_supported(parsed)
    lower(parsed, flatten=False)
    template = template_of(rule)
    assert len(template.returns) == len(rule.inputs)
    assert rule.func.__name__ not in str(template), "the rule fell back to being called"


def _numpy_signature(primal):
    if isinstance(primal, str) or isinstance(primal, np.ufunc):
        return None
    if getattr(primal, "__module__", "") in ("math", "builtins", "_operator", "operator"):
        return None
    try:
        return inspect.signature(primal)
    except (TypeError, ValueError):
        return None


@pytest.mark.parametrize("rule", [r for r in BUILTIN_RULES.values() if _numpy_signature(r.primal)],
                         ids=lambda r: r.func.__qualname__)
def test_rule_parameters_are_named_and_ordered_as_the_primals(rule):
    """Positional arguments bind by position and keywords by name, so both must agree."""
    params = list(_numpy_signature(rule.primal).parameters.values())
    if any(p.kind is p.VAR_POSITIONAL for p in params):  # np.einsum, np.atleast_1d
        return
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    keywords = {p.name for p in params if p.kind is not p.POSITIONAL_ONLY}
    open_kwargs = any(p.kind is p.VAR_KEYWORD for p in params)
    for k, name in enumerate(rule.params):
        if k < len(positional) and params[k].kind is not params[k].POSITIONAL_ONLY:
            assert name == positional[k], f"parameter {k} is {positional[k]!r} in numpy, {name!r} in the rule"
        elif k >= len(positional):
            assert name in keywords or open_kwargs, f"{name!r} is not a keyword of {display_name(rule.primal)}"


def test_rules_and_nondiff_do_not_overlap_and_every_nondiff_says_why():
    both = [display_name(k) for k in BUILTIN_NONDIFF if k in BUILTIN_RULES]
    assert not both
    assert all(isinstance(reason, str) and reason for reason in BUILTIN_NONDIFF.values())


def test_issue_checklist_is_covered():
    """The functions the coverage issue lists all have rules (or are declared nondiff)."""
    special = pytest.importorskip("scipy.special")
    wanted = """negative positive abs absolute fabs exp exp2 expm1 log log2 log10 log1p sqrt cbrt
        square reciprocal sin cos tan arcsin arccos arctan sinh cosh tanh arcsinh arccosh arctanh
        deg2rad rad2deg degrees radians sinc real imag nan_to_num add subtract multiply divide
        true_divide power float_power maximum minimum fmax fmin arctan2 hypot logaddexp logaddexp2
        copysign mod remainder fmod where clip dot vdot inner outer matmul tensordot einsum kron
        trace diag diagonal tril triu cross sum mean prod max min amax amin var std cumsum cumprod
        average ptp nansum nanmean reshape ravel transpose swapaxes moveaxis expand_dims squeeze
        broadcast_to atleast_1d atleast_2d atleast_3d concatenate stack hstack vstack dstack
        column_stack split array_split hsplit vsplit tile repeat flip fliplr flipud roll rot90 pad
        take take_along_axis sort select diff interp array asarray copy full_like""".split()
    missing = [n for n in wanted if getattr(np, n) not in RULES]
    missing += [f"linalg.{n}" for n in "norm inv det slogdet solve cholesky eigh pinv".split()
                if getattr(np.linalg, n) not in RULES]
    missing += [f"scipy.special.{n}" for n in "expit logit logsumexp softmax log_softmax erf gammaln".split()
                if getattr(special, n) not in RULES]
    nondiff = """floor ceil round rint trunc sign argmax argmin argsort nonzero isnan isfinite shape
        size zeros_like ones_like greater less equal not_equal logical_and logical_or logical_not""".split()
    missing += [n for n in nondiff if getattr(np, n) not in BUILTIN_NONDIFF]
    assert not missing


def test_a_function_without_a_rule_is_an_error_naming_it_the_line_and_the_fix():
    def f(x):
        return np.sum(np.i0(x))
    with pytest.raises(adjoint.MissingRule) as error:
        adjoint.grad(f)(np.ones(3))
    message = str(error.value)
    assert "np.i0" in message and "test_registry.py:" in message and "@adjoint.rule(np.i0)" in message


def test_harness_catches_a_transposed_gradient():
    """A non-uniform output gradient makes a transposition bug visible."""
    right = RULES[np.fliplr]
    try:
        @adjoint.rule(np.fliplr)  # wrong on purpose: forgets to flip g back
        def d_wrong(g, y, m):
            return g
        with pytest.raises(AssertionError, match="gradient for m is wrong"):
            check_case(Case(np.fliplr, (np.arange(6.0).reshape(2, 3),)))
    finally:
        RULES[np.fliplr] = right


def test_coverage_document_is_up_to_date():
    from adjoint.tools.coverage import DOC, render, versions
    text = DOC.read_text()
    if f"({versions()}.)" not in text:
        pytest.skip("docs/coverage.md was generated with other numpy/scipy versions")
    assert text == render(), "docs/coverage.md is stale: run python -m adjoint.tools.coverage"


def test_coverage_check_under_other_library_versions_compares_sections(tmp_path):
    from adjoint.tools.coverage import main, render, versions
    text = render().replace(f"({versions()}.)", "(numpy 0.0.0, scipy 0.0.0.)")
    doc = tmp_path / "coverage.md"
    doc.write_text(text.replace("| `np.sin` |", "| `np.sine` |"))  # a row: not compared
    assert main(["--check", "--output", str(doc)]) == 0
    doc.write_text(text.replace("Rules in `adjoint/rules/unary.py`", "Rules in `adjoint/rules/gone.py`"))
    assert main(["--check", "--output", str(doc)]) == 1
