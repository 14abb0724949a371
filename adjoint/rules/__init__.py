"""Gradient rules, grouped by domain. Importing this package registers them all."""
from . import operators, elementwise, reductions, shaping  # noqa: F401
