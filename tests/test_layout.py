"""The package keeps its shape: rooms with one job, imports flowing one way.

Each module of adjoint/ belongs to a layer; a module imports only from its own layer or
lower ones, never in a cycle, never a private (underscore) name of another module, and
at most three imports sit inside functions (each saying why, on its line).
"""
import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "adjoint"

# lowest first; a module may import from its own layer and the layers before it
LAYERS = [
    ["errors", "names", "loader", "syntax", "origin", "recursion", "collector"],
    ["ir"],
    ["runtime"],
    ["rules"],
    ["lowering", "codegen", "printer"],
    ["reverse", "forward"],
    ["passes", "backends"],
    ["guards", "pipeline", "entry"],
    ["dispatch"],
    ["api", "higher", "higher_calls", "testing", "display"],
    ["tools", "dask"],
    ["__init__", "__main__"],
]
LAYER_OF = {name: k for k, names in enumerate(LAYERS) for name in names}
MAX_LINES = 500
MAX_FUNCTION_IMPORTS = 3


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        yield ".".join(("adjoint",) + parts).removesuffix(".__init__"), path


def _room(module: str) -> str:
    """adjoint.reverse.sweep -> reverse; adjoint.api -> api; adjoint -> __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(module: str, path: pathlib.Path):
    """(imported adjoint module, names, line, inside a function?) for each import."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    functions = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                 for n in ast.walk(f) if n is not f}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "adjoint" or target.startswith("adjoint."):
                for alias in node.names:  # `from . import ir` imports the module adjoint.ir
                    sub = f"{target}.{alias.name}"
                    is_module = (PACKAGE.parent / (sub.replace(".", "/") + ".py")).exists() or \
                        (PACKAGE.parent / sub.replace(".", "/")).is_dir()
                    yield (sub if is_module else target), alias.name, node.lineno, id(node) in functions
            elif id(node) in functions:
                yield target, None, node.lineno, True
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno, id(node) in functions


MODULES = dict(_modules())


def test_imports_follow_the_layer_order():
    wrong = []
    for module, path in MODULES.items():
        for target, _, line, _ in _imports(module, path):
            if not target.startswith("adjoint.") or _room(target) == _room(module):
                continue
            if LAYER_OF[_room(target)] > LAYER_OF[_room(module)]:
                wrong.append(f"{path.name}:{line} {module} imports {target} (a higher layer)")
    assert not wrong, "\n".join(wrong)


def test_every_room_has_a_layer():
    assert {_room(m) for m in MODULES} <= set(LAYER_OF)


def test_no_import_cycle():
    graph = {m: {t for t, _, _, _ in _imports(m, p) if t in MODULES and t != m} for m, p in MODULES.items()}
    # a package's __init__ re-exporting its own modules is not a cycle of behaviour
    for m in graph:
        graph[m] = {t for t in graph[m] if not (m + ".").startswith(t + ".")}
    state, cycles = {}, []

    def visit(m, stack):
        state[m] = "open"
        for t in sorted(graph[m]):
            if state.get(t) == "open":
                cycles.append(" -> ".join(stack[stack.index(t):] + [t]))
            elif t not in state:
                visit(t, stack + [t])
        state[m] = "done"
    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not cycles, "\n".join(cycles)


def test_no_private_name_crosses_a_module():
    wrong = [f"{p.name}:{line} imports {name} from {target}"
             for m, p in MODULES.items() for target, name, line, _ in _imports(m, p)
             if name and name.startswith("_") and not name.startswith("__") and target != m]
    assert not wrong, "\n".join(wrong)


def test_few_imports_inside_functions_each_saying_why():
    inside = [(p, line) for m, p in MODULES.items() for _, _, line, nested in _imports(m, p) if nested]
    lines = sorted({(p, line) for p, line in inside})
    assert len(lines) <= MAX_FUNCTION_IMPORTS, "\n".join(f"{p.name}:{line}" for p, line in lines)
    for p, line in lines:
        assert "#" in p.read_text().splitlines()[line - 1], f"{p.name}:{line} says not why"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_is_one_job_sized(module):
    assert len(MODULES[module].read_text().splitlines()) <= MAX_LINES
