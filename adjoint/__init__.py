"""adjoint: a source-to-source differentiating compiler for numeric Python.

    import adjoint
    dloss = adjoint.grad(loss, wrt=("W", "b"))
    print(dloss.source)        # the exact code that runs
"""
from . import rules as _rules  # noqa: F401  (registers the built-in gradient rules)
from . import testing
from .api import GradientFunction, grad, source, value_and_grad
from .higher import hessian, hvp, jacfwd, jacobian, jacrev, jvp
from . import higher_calls as _higher_calls  # noqa: F401  (the rule of calls of grad(f))
from .tools.check import check
from .tools.graph import graph
from .errors import (AdjointError, BadArguments, InternalError, MissingRule, NonFiniteGradient,
                     NonScalarOutput, NoSource, UnsupportedSyntax)
from .rules.registry import nondiff, rule
from .runtime.core import unbroadcast
from .runtime.pytrees import register_pytree

__version__ = "0.1.0"
__all__ = ["grad", "value_and_grad", "source", "jvp", "jacfwd", "jacrev", "jacobian", "hessian",
           "hvp", "check", "graph", "rule", "nondiff", "testing", "AdjointError", "BadArguments",
           "InternalError", "MissingRule", "NonFiniteGradient", "NonScalarOutput", "NoSource",
           "UnsupportedSyntax", "GradientFunction", "unbroadcast", "register_pytree"]
