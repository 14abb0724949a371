"""Errors name the real file and line, quote the line, and say what to do.

Lines the tests expect carry a `# <tag>` comment; `line_of` finds them by reading this
file, so the expected numbers do not come from adjoint.
"""
from __future__ import annotations

import os
import math
import re

import numpy as np
import pytest

import adjoint
from adjoint.errors import AdjointError, BadArguments, MissingRule, NonScalarOutput, NoSource, UnsupportedSyntax
from helpers import line_of, run_cli

HERE = os.path.abspath(__file__)
CLI_TARGETS = os.path.join(os.path.dirname(HERE), "cli_targets.py")


def assert_points_at(message: str, tag: str, path: str = HERE):
    """The message names the file and `:<line>:` of the tagged line and quotes that line."""
    line = line_of(path, tag)
    assert f"{path}:{line}:" in message, f"expected {path}:{line}: in\n{message}"
    text = open(path).read().splitlines()[line - 1].strip()
    assert text in message, f"expected the quoted line {text!r} in\n{message}"


# -- unsupported syntax: every problem in one error ------------------------------------------

def many_problems(x):
    try:  # <try>
        y = x * 2.0
    except ValueError:
        y = x
    y = (lambda t: t * t)(y)  # <lambda>
    global SOMETHING  # <global>

    class Box:  # <class>
        pass

    async def inner(t):  # <nested-def>
        return t

    del y  # <del>
    import math  # <import>
    yield y  # <yield>
    return y * math.pi


ALL_TAGS = ["try", "lambda", "global", "class", "nested-def", "del", "import", "yield"]
WHAT = {"try": "try", "lambda": "lambda", "global": "global", "class": "class",
        "nested-def": "def", "del": "del", "import": "import", "yield": "yield"}


def _unsupported_error(call):
    with pytest.raises(UnsupportedSyntax) as info:
        call()
    return info.value


@pytest.mark.parametrize("how", ["grad-call", "source", "value_and_grad-call"])
def test_unsupported_syntax_lists_every_problem_at_once(how):
    calls = {
        "grad-call": lambda: adjoint.grad(many_problems)(1.0),
        "source": lambda: adjoint.source(many_problems, "x", 1.0),
        "value_and_grad-call": lambda: adjoint.value_and_grad(many_problems)(np.ones(2)),
    }
    error = _unsupported_error(calls[how])
    message = str(error)
    assert isinstance(error, AdjointError)
    assert "many_problems" in message
    for tag in ALL_TAGS:
        assert_points_at(message, tag)
    # each problem is reported once, in source order, each naming the construct
    lines = [int(m) for m in re.findall(re.escape(HERE) + r":(\d+):", message)]
    assert lines == sorted(line_of(HERE, tag) for tag in ALL_TAGS)
    assert len(error.problems) == len(ALL_TAGS)
    for problem, tag in zip(error.problems, ALL_TAGS):
        assert problem.location.line == line_of(HERE, tag)
        assert WHAT[tag] in problem.what.lower()
        assert problem.fix  # says what to do instead


def test_unsupported_syntax_reports_column_of_the_construct():
    error = _unsupported_error(lambda: adjoint.source(many_problems, "x", 1.0))
    lam = next(p for p in error.problems if "lambda" in p.what)
    line = line_of(HERE, "lambda")
    text = open(HERE).read().splitlines()[line - 1]
    # 1-based column of `lambda` in the real file (the function is indented in no class)
    assert f"{HERE}:{line}:{text.index('lambda') + 1}:" in str(error)
    assert lam.location.col == text.index("lambda")


class Model:
    scale = 2.0

    def loss(self, x):
        try:  # <method-try>
            pass
        finally:
            pass
        return x * x


def test_unsupported_syntax_in_an_indented_method_names_real_line_and_column():
    model = Model()
    error = _unsupported_error(lambda: adjoint.grad(Model.loss, wrt="x")(model, 1.0))
    assert_points_at(str(error), "method-try")
    line = line_of(HERE, "method-try")
    text = open(HERE).read().splitlines()[line - 1]
    assert f"{HERE}:{line}:{text.index('try') + 1}:" in str(error)


# -- calls without a rule --------------------------------------------------------------------

def helper_without_rule(x):
    return x * 3.0


def calls_helper(x, y):
    z = x * y
    # math.gamma is a C function: no source to differentiate through, and no rule
    return math.gamma(z) + y  # <missing-rule>


@pytest.mark.parametrize("args", [(1.5, 2.0), (np.ones(3) * 1.5, 2.0)])
def test_missing_rule_names_helper_and_how_to_register(args):
    with pytest.raises(MissingRule) as info:
        adjoint.grad(calls_helper, wrt=("x", "y"))(*args)
    message = str(info.value)
    assert_points_at(message, "missing-rule")
    assert "math.gamma" in message
    assert "@adjoint.rule(math.gamma)" in message
    assert isinstance(info.value, AdjointError)


def test_missing_rule_is_raised_by_source_too():
    with pytest.raises(MissingRule) as info:
        adjoint.source(calls_helper, "x")
    assert_points_at(str(info.value), "missing-rule")


def inactive_helper_call(x, y):
    return x * helper_without_rule(y)


def test_helper_on_values_not_differentiated_needs_no_rule():
    # helper_without_rule only sees y, which is not differentiated: no rule is needed
    g = adjoint.grad(inactive_helper_call, wrt="x")(1.5, 2.0)
    assert g == 6.0


# -- non-scalar outputs ----------------------------------------------------------------------

def vector_output(x):
    y = np.tanh(x) * 2.0
    return y  # <nonscalar-return>


def vector_output_expression(x, w):
    return x * w  # <nonscalar-expression>


SCALAR_OUTPUT_MESSAGE = r"grad needs a scalar output( from \w+)?; got shape \(3,\)"


def test_non_scalar_output_names_shape_and_return_line():
    with pytest.raises(NonScalarOutput) as info:
        adjoint.grad(vector_output)(np.array([0.1, 0.2, 0.3]))
    message = str(info.value)
    assert re.search(SCALAR_OUTPUT_MESSAGE, message), message
    assert_points_at(message, "nonscalar-return")
    assert isinstance(info.value, AdjointError)


def test_non_scalar_output_of_an_expression():
    with pytest.raises(NonScalarOutput) as info:
        adjoint.value_and_grad(vector_output_expression, wrt=("x", "w"))(np.ones(3), 2.0)
    message = str(info.value)
    assert re.search(SCALAR_OUTPUT_MESSAGE, message), message
    assert_points_at(message, "nonscalar-expression")


def test_non_scalar_output_when_the_result_does_not_depend_on_wrt():
    with pytest.raises(NonScalarOutput) as info:
        adjoint.grad(vector_output_expression, wrt="w")(np.ones(3), 2.0)
    assert re.search(SCALAR_OUTPUT_MESSAGE, str(info.value)), str(info.value)


def test_non_scalar_output_after_a_scalar_call():
    # the same gradient function: first a good call, then one with a vector output
    dg = adjoint.grad(vector_output_expression, wrt="x")
    assert dg(np.array([1.0]).reshape(()), 2.0) == 2.0
    with pytest.raises(NonScalarOutput) as info:
        dg(np.ones(3), 2.0)
    assert_points_at(str(info.value), "nonscalar-expression")


# -- no source -------------------------------------------------------------------------------

@pytest.mark.parametrize("func", [len, max])  # (np.tanh has a rule: grad(np.tanh) works,
def test_builtin_has_no_source(func):                  # test_python_constructors.py)
    with pytest.raises(NoSource) as info:
        adjoint.grad(func)
    assert isinstance(info.value, AdjointError)
    assert "@adjoint.rule" in str(info.value) or "def" in str(info.value)


def test_exec_function_has_no_source():
    namespace = {}
    exec("def made_by_exec(x):\n    return x * x\n", namespace)
    with pytest.raises(NoSource) as info:
        adjoint.grad(namespace["made_by_exec"])
    message = str(info.value)
    assert "made_by_exec" in message
    assert "exec" in message  # says why / what to do


def test_lambda_typed_at_a_prompt_has_no_source_error():
    typed = eval("lambda x: x * x")  # like a prompt: no file holds its source
    with pytest.raises(NoSource) as info:
        adjoint.grad(typed)
    assert "source" in str(info.value)


def test_lambda_written_in_a_file_is_differentiated():
    assert adjoint.grad(lambda x: x * x)(3.0) == 6.0


# -- bad arguments ---------------------------------------------------------------------------

def two_params(x, y):
    return x * y


def test_wrt_names_a_missing_parameter():
    with pytest.raises(BadArguments) as info:
        adjoint.grad(two_params, wrt="z")
    message = str(info.value)
    assert "'z'" in message and "two_params" in message
    assert "x, y" in message  # lists the parameters there are


def test_wrt_missing_name_inside_a_tuple():
    with pytest.raises(BadArguments) as info:
        adjoint.value_and_grad(two_params, wrt=("x", "w"))
    assert "'w'" in str(info.value)


@pytest.mark.parametrize("index", [2, 5, -3])
def test_wrt_index_out_of_range(index):
    with pytest.raises(BadArguments) as info:
        adjoint.grad(two_params, wrt=index)
    message = str(info.value)
    assert str(index) in message and "out of range" in message


def test_wrt_negative_index_in_range_is_fine():
    assert adjoint.grad(two_params, wrt=-1)(2.0, 3.0) == 2.0


@pytest.mark.parametrize("wrt", [(), 1.5, True, ("x", "x")])
def test_wrt_malformed(wrt):
    with pytest.raises(BadArguments):
        adjoint.grad(two_params, wrt=wrt)


def sum_of_squares(x):
    return np.sum(x * x)


@pytest.mark.parametrize("value,kind", [
    (np.arange(3), "integer"),
    (np.arange(3, dtype=np.int32), "integer"),
    (np.arange(3, dtype=np.uint8), "integer"),
    (np.array([True, False]), "boolean"),
])
def test_integer_or_bool_array_is_rejected(value, kind):
    with pytest.raises(BadArguments) as info:
        adjoint.grad(sum_of_squares)(value)
    message = str(info.value)
    assert f"a {kind} array" in message or f"an {kind} array" in message, message
    assert "astype(float)" in message
    assert str(value.dtype) in message


def test_boolean_array_message_grammar():
    with pytest.raises(BadArguments) as info:
        adjoint.grad(sum_of_squares)(np.array([True, False]))
    assert "a boolean array" in str(info.value), str(info.value)


def test_integer_array_rejected_after_a_float_call():
    # the cached float compilation must still check the dtype of later inputs
    dg = adjoint.grad(sum_of_squares)
    np.testing.assert_allclose(dg(np.array([1.0, 2.0])), [2.0, 4.0])
    with pytest.raises(BadArguments):
        dg(np.array([1, 2]))


def weighted_count(counts, y):
    return np.sum(counts * y)


def test_integer_array_not_differentiated_is_fine():
    g = adjoint.grad(weighted_count, wrt="y")(np.array([1, 2, 3]), 2.0)
    assert g == 6.0


def test_python_int_is_fine():
    assert adjoint.grad(two_params)(3, 4) == 4.0


def test_bool_scalar_is_rejected():
    with pytest.raises(BadArguments):
        adjoint.grad(two_params)(True, 2.0)


def test_every_error_class_derives_from_adjoint_error():
    for cls in (UnsupportedSyntax, MissingRule, NonScalarOutput, NoSource, BadArguments):
        assert issubclass(cls, AdjointError)
        assert getattr(adjoint, cls.__name__) is cls


# -- the CLI reports adjoint errors briefly ----------------------------------------------------

@pytest.mark.parametrize("target,tag,text", [
    ("uses_helper", "cli-missing-rule", "math.gamma"),
    ("unsupported", "cli-try", "try/except"),
])
def test_cli_error_exits_1_without_traceback(target, tag, text):
    result = run_cli("show", f"{CLI_TARGETS}:{target}", "--wrt", "x")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("adjoint:")
    assert text in result.stderr
    line = line_of(CLI_TARGETS, tag)
    assert f"cli_targets.py:{line}:" in result.stderr


def test_cli_error_on_a_module_that_fails_to_import(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import numpy as np\nraise RuntimeError('boom at import')\n\n"
                      "def f(x):\n    return x * x\n")
    result = run_cli("show", f"{broken}:f")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "boom at import" in result.stderr


def test_cli_wrt_names_missing_parameter():
    result = run_cli("show", f"{CLI_TARGETS}:poly", "--wrt", "q")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "'q'" in result.stderr


V3 = np.array([1.0, 2.0, 3.0])


def scalar_in_vector_out(x):
    return x * V3  # <scalar-in-vector-out>


def test_non_scalar_output_from_scalar_inputs():
    # scalar specialization must still check the output is a scalar
    with pytest.raises(NonScalarOutput) as info:
        adjoint.grad(scalar_in_vector_out)(1.5)
    assert re.search(SCALAR_OUTPUT_MESSAGE, str(info.value)), str(info.value)
    assert_points_at(str(info.value), "scalar-in-vector-out")


# -- decorated and multi-line code keeps real positions ----------------------------------------

@adjoint.grad(wrt="x")
def decorated_multiline(x, y):
    z = x * y
    return (z +
            math.gamma(z))  # <multiline-call>


def test_decorated_function_error_names_the_line_of_the_call_in_a_multiline_statement():
    with pytest.raises(MissingRule) as info:
        decorated_multiline(1.0, 2.0)
    message = str(info.value)
    line = line_of(HERE, "multiline-call")
    text = open(HERE).read().splitlines()[line - 1]
    assert f"{HERE}:{line}:{text.index('math.gamma') + 1}:" in message
    assert "math.gamma(z)" in message
