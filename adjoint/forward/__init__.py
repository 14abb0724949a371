"""Forward mode: tangent code beside the primal code (see sweep.py), its rules (rules.py),
its pipeline (compile.py), calls of the user's functions (calls.py) and the helpers its
code calls (runtime.py). The public API is in adjoint/higher.py."""
