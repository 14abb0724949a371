"""Room on the Python stack for code as deep as the user's.

Some walks recurse once per level of the user's nesting: lowering an expression,
printing one (`ast.unparse`), gast's conversion of Python's tree; and differentiating
through a chain of user functions compiles each callee inside its caller's compile.
Python itself runs a one-line sum of 2000 terms, 199 nested calls or a chain of 300
functions under its default recursion limit; adjoint must not be the limit.

So a compile (`@with_room`) is a scope: when the function it parses is deep,
`make_room(depth)` raises the recursion limit to what that depth needs from where the
stack stands, and the scope puts the old limit back when it ends. Typical code never
raises it. Raising it is safe: since Python 3.11, calls between Python functions do not
use the C stack, and the walks concerned are plain Python calls.
"""
from __future__ import annotations

import ast
import functools
import sys
import threading

# the most frames a walk spends per level of nesting (gast's conversion of a call: 6)
FRAMES_PER_LEVEL = 10
# frames one compile needs beyond its walks' nesting (its own pipeline, template parsing)
MARGIN = 500

_scopes = threading.local()


def with_room(compile_function):
    """Decorate a compile: inside it, make_room may raise the limit; after, it is back."""
    @functools.wraps(compile_function)
    def compile_with_room(*args, **kwargs):
        before = sys.getrecursionlimit()
        _scopes.depth = getattr(_scopes, "depth", 0) + 1
        try:
            return compile_function(*args, **kwargs)
        finally:
            _scopes.depth -= 1
            if sys.getrecursionlimit() > before:
                sys.setrecursionlimit(before)
    return compile_with_room


def make_room(levels: int) -> None:
    """Let the rest of the enclosing compile recurse `levels` levels deep (a no-op
    outside a compile: nothing would put the limit back)."""
    if getattr(_scopes, "depth", 0) > 0:
        _raise_to(_stack_depth() + MARGIN + FRAMES_PER_LEVEL * levels)


def call_with_room(function, tree: ast.AST, *args):
    """function(tree, *args) for a walk that recurses per level of `tree` (gast's, ast's
    own), with the limit raised for this call only when the tree is deep."""
    try:
        return function(tree, *args)
    except RecursionError:
        pass
    before = sys.getrecursionlimit()
    _raise_to(_stack_depth() + MARGIN + FRAMES_PER_LEVEL * nesting_depth(tree))
    try:
        return function(tree, *args)
    finally:
        sys.setrecursionlimit(before)


def nesting_depth(tree: ast.AST) -> int:
    """How many nodes deep the tree goes, counted without recursing."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _raise_to(limit: int) -> None:
    if limit > sys.getrecursionlimit():
        sys.setrecursionlimit(limit)


def _stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth
