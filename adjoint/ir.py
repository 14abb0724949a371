"""The SSA intermediate representation: plain data and a verifier (codegen.function_source
prints it).

A `Function` is a list of statements over expressions. After lowering, every statement
is one operation on atoms (`Var`, `Const`, `Ref`): three-address SSA where each name is
assigned once. The reverse pass adds backward statements whose right-hand sides are
small expression trees (a rule's return expression with names substituted), so the
generated code reads like the math. Every variable records its kind explicitly; nothing
is ever decided from a name's spelling.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Union

from .errors import Location


class Kind(Enum):
    PARAM = "param"      # a parameter of the user's function
    USER = "user"        # a variable the user named (or a version of one, h_1)
    TEMP = "temp"        # a compiler temporary s0, s1, ...
    GRAD = "grad"        # the gradient of a value, grad_<value>
    LOCAL = "local"      # a local of a spliced rule body
    TAPE = "tape"        # a Python list holding values the backward needs, h_tape
    FLAG = "flag"        # control bookkeeping: trip counts, "returned" flags


@dataclass(frozen=True)
class Var:
    name: str
    kind: Kind
    # for a gradient (kind GRAD): the kind of the value it is the gradient of. Passes decide
    # by it, never by spelling (a user's `scale` must not pass for a temporary `s3`).
    of: Kind | None = field(default=None, compare=False)

    def __hash__(self) -> int:  # (the generated one hashed a tuple with an Enum: hot in compiles)
        return hash(self.name)


@dataclass(frozen=True)
class Const:
    value: object


@dataclass(frozen=True, eq=False)
class Ref:
    """A value from outside the function: a module, a function, a global constant.

    `root_name` is bound to `root` in the generated code's namespace; `path` are
    attributes read from it (`np.linalg.norm` is root np, path ("linalg", "norm")).
    """

    root_name: str
    root: object
    path: tuple = ()
    value: object = None


@dataclass(frozen=True)
class BinOp:
    op: object  # operator.add, operator.matmul, ...
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class UnaryOp:
    op: object  # operator.neg, operator.pos, operator.not_, operator.invert
    operand: "Expr"


@dataclass(frozen=True)
class Compare:
    op: object  # operator.lt, ...
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Logic:
    """a and b / a or b over comparisons of atoms: a condition with nothing to
    differentiate and nothing that can fail, so it may stay one expression."""

    op: str  # "and" or "or"
    values: tuple


@dataclass(frozen=True)
class Call:
    func: Ref
    args: tuple = ()
    kwargs: tuple = ()  # ((name, Expr), ...)


@dataclass(frozen=True)
class Attr:
    value: "Expr"
    name: str


@dataclass(frozen=True)
class Subscript:
    value: "Expr"
    index: "Expr"


@dataclass(frozen=True)
class Slice:
    lower: "Expr | None"
    upper: "Expr | None"
    step: "Expr | None"


@dataclass(frozen=True)
class TupleExpr:
    elts: tuple
    is_list: bool = False  # written [a, b]: printed with brackets


@dataclass(frozen=True)
class Starred:
    """*value, inside a call's arguments or a tuple/list display (f(*xs), (*shape, 2))."""

    value: "Expr"


Atom = Union[Var, Const, Ref]
Expr = Union[Var, Const, Ref, BinOp, UnaryOp, Compare, Logic, Call, Attr, Subscript, Slice, TupleExpr,
             Starred]


@dataclass
class Assign:
    target: "Var | tuple"  # a tuple of Vars unpacks
    value: Expr
    origin: Location | None = None
    backward: bool = False  # part of the backward sweep (for comments and dumps)
    may_alias: str = ""  # x += v where x (this user name) may share memory with another array


@dataclass
class SetItem:
    target: Var
    index: Expr
    value: Expr
    origin: Location | None = None
    backward: bool = False
    # x[i] = s where s = x[i] was written into (x[i][j] = v): memory is unchanged, but the
    # gradient of x[i] now flows to s
    writeback: bool = False


@dataclass
class ExprStmt:
    value: Expr
    origin: Location | None = None
    backward: bool = False


@dataclass
class Return:
    value: Expr
    origin: Location | None = None


@dataclass
class If:
    test: Expr  # an atom (or a comparison of atoms)
    body: list
    orelse: list
    origin: Location | None = None
    backward: bool = False


@dataclass
class For:
    """for target in range(start, stop, step); in the backward, reversed and, when the
    forward may have left early, cut to the first `trips` values. With `over` (a tape,
    set by passes/tape_loops.py): for target in reversed(over), the range unused."""

    target: "Var | None"  # None prints as _
    start: Expr
    stop: Expr
    step: Expr
    body: list
    origin: Location | None = None
    backward: bool = False
    reverse: bool = False
    trips: "Expr | None" = None
    over: "Var | None" = None


@dataclass
class While:
    test: Expr  # Const(True) for loops whose exit test sits inside the body
    body: list
    origin: Location | None = None
    backward: bool = False


@dataclass
class Break:
    origin: Location | None = None
    backward: bool = False


@dataclass
class Continue:
    origin: Location | None = None
    backward: bool = False


@dataclass
class Push:
    """tape.append(value): keep a value the backward needs before it is overwritten."""

    tape: Var
    value: Expr
    origin: Location | None = None
    backward: bool = False
    site: int = 0  # pairs this push with the pop that undoes it


@dataclass
class Pop:
    """target = tape.pop(): restore, in the backward, the value a statement overwrote."""

    target: Var
    tape: Var
    origin: Location | None = None
    backward: bool = False
    site: int = 0


Stmt = Union[Assign, SetItem, ExprStmt, Return, If, For, While, Break, Continue, Push, Pop]


@dataclass
class Function:
    name: str
    params: list
    body: list
    defaults: tuple = ()
    origin: Location | None = None
    posonly: int = 0  # how many leading params are positional-only
    kwonly: int = 0  # how many trailing params are keyword-only
    free: dict | None = None  # free names of the user's code -> objects they named
    # variables assigned more than once (names merged across branches, values
    # assigned inside loops): not SSA, so the backward restores them from tapes
    dynamic: frozenset = frozenset()
    # Var -> the callable or object it was compiled for (lowering/objects.py)
    statics: dict | None = None
    guards: tuple = ()  # (table, key, object) the lowering assumed about classes and globals
    vararg: str | None = None  # the parameter collecting *args (after the positional ones)
    kwarg: str | None = None  # the parameter collecting **kwargs (the last one)





def children(expr) -> tuple:
    """The direct sub-expressions of an expression, in evaluation order."""
    parts = _CHILDREN.get(type(expr))
    return parts(expr) if parts is not None else ()


_CHILDREN = {  # expression type -> its children (a table: compiles call this millions of times)
    BinOp: lambda e: (e.left, e.right),
    Compare: lambda e: (e.left, e.right),
    UnaryOp: lambda e: (e.operand,),
    Logic: lambda e: tuple(e.values),
    Call: lambda e: (e.func, *e.args, *[v for _, v in e.kwargs]) if e.kwargs else (e.func, *e.args),
    Attr: lambda e: (e.value,),
    Subscript: lambda e: (e.value, e.index),
    Slice: lambda e: tuple(p for p in (e.lower, e.upper, e.step) if p is not None),
    TupleExpr: lambda e: tuple(e.elts),
    Starred: lambda e: (e.value,),
}


def operator_operands(expr) -> tuple:
    """The inputs an operator's rule receives (a + b, -a, a.T, a[i]); () for anything else."""
    return children(expr) if type(expr) in (BinOp, UnaryOp, Attr, Subscript) else ()


def vars_in(expr) -> list:
    """Every Var read by an expression, in order, with repeats."""
    if type(expr) is Var:
        return [expr]
    out, stack, table = [], [expr], _CHILDREN
    while stack:  # (depth-first, children left to right: evaluation order)
        node = stack.pop()
        kind = type(node)
        if kind is Var:
            out.append(node)
        elif kind is BinOp:  # (the commonest, spelled out: compiles ask millions of times)
            stack.append(node.right)
            stack.append(node.left)
        elif kind in table:
            stack.extend(reversed(table[kind](node)))
    return out


def refs_in(expr) -> list:
    if isinstance(expr, Ref):
        return [expr]
    out = []
    for child in children(expr):
        out.extend(refs_in(child))
    return out


def targets(stmt) -> tuple:
    """Vars a statement itself defines (not those of nested blocks)."""
    if type(stmt) is Assign:  # (first: most statements are; compiles ask millions of times)
        return stmt.target if isinstance(stmt.target, tuple) else (stmt.target,)
    if isinstance(stmt, Pop):
        return (stmt.target,)
    if isinstance(stmt, For) and stmt.target is not None:
        return (stmt.target,)
    return ()


def reads(stmt) -> list:
    """Vars a statement itself reads (not those of nested blocks)."""
    if type(stmt) is Assign:  # (first: most statements are; compiles ask millions of times)
        return vars_in(stmt.value)
    if isinstance(stmt, SetItem):
        return [stmt.target] + vars_in(stmt.index) + vars_in(stmt.value)
    if isinstance(stmt, (If, While)):
        return vars_in(stmt.test)
    if isinstance(stmt, For) and stmt.over is not None:
        return [stmt.over]
    if isinstance(stmt, For):
        return [v for part in (stmt.start, stmt.stop, stmt.step) for v in vars_in(part)] + \
            (vars_in(stmt.trips) if stmt.trips is not None else [])
    if isinstance(stmt, Push):
        return [stmt.tape] + vars_in(stmt.value)
    if isinstance(stmt, Pop):
        return [stmt.tape]
    if isinstance(stmt, (Break, Continue)):
        return []
    return vars_in(stmt.value)


def expressions(stmt) -> list:
    """The expressions a statement itself holds (not those of nested blocks)."""
    if isinstance(stmt, (Assign, ExprStmt, Return, Push)):
        return [stmt.value]
    if isinstance(stmt, SetItem):
        return [stmt.index, stmt.value]
    if isinstance(stmt, (If, While)):
        return [stmt.test]
    if isinstance(stmt, For) and stmt.over is not None:
        return [stmt.over]
    if isinstance(stmt, For):
        return [e for e in (stmt.start, stmt.stop, stmt.step, stmt.trips) if e is not None]
    return []


def blocks(stmt) -> tuple:
    """The statement lists nested in a statement."""
    if isinstance(stmt, If):
        return (stmt.body, stmt.orelse)
    if isinstance(stmt, (For, While)):
        return (stmt.body,)
    return ()


def map_blocks(stmt, transform):
    """`stmt` with each nested block replaced by `transform(block, in_loop)` (in_loop: the
    block is a loop's body); a statement without blocks comes back as it is. The one way
    passes rebuild if/for/while statements."""
    if isinstance(stmt, If):
        return replace(stmt, body=transform(stmt.body, False), orelse=transform(stmt.orelse, False))
    if isinstance(stmt, (For, While)):
        return replace(stmt, body=transform(stmt.body, True))
    return stmt


def walk(body):
    """Every statement of a body, nested ones included, in program order."""
    for stmt in body:
        yield stmt
        kind = type(stmt)  # (blocks(stmt), spelled out: compiles walk millions of statements)
        if kind is If:
            yield from walk(stmt.body)
            yield from walk(stmt.orelse)
        elif kind is For or kind is While:
            yield from walk(stmt.body)


def substitute(expr, mapping: dict):
    """Replace Vars (keys of mapping) by expressions, rebuilding only what changes."""
    kind = type(expr)  # (the commonest kinds first, by type: compiles substitute a lot)
    if kind is Var:
        return mapping.get(expr, expr)
    if kind is Const or kind is Ref or expr is None:
        return expr
    if kind is BinOp:
        return BinOp(expr.op, substitute(expr.left, mapping), substitute(expr.right, mapping))
    if isinstance(expr, Compare):
        return Compare(expr.op, substitute(expr.left, mapping), substitute(expr.right, mapping))
    if isinstance(expr, UnaryOp):
        return UnaryOp(expr.op, substitute(expr.operand, mapping))
    if isinstance(expr, Logic):
        return Logic(expr.op, tuple(substitute(v, mapping) for v in expr.values))
    if isinstance(expr, Call):
        return Call(expr.func, tuple(substitute(a, mapping) for a in expr.args),
                    tuple((k, substitute(v, mapping)) for k, v in expr.kwargs))
    if isinstance(expr, Attr):
        return Attr(substitute(expr.value, mapping), expr.name)
    if isinstance(expr, Subscript):
        return Subscript(substitute(expr.value, mapping), substitute(expr.index, mapping))
    if isinstance(expr, Slice):
        return Slice(substitute(expr.lower, mapping), substitute(expr.upper, mapping),
                     substitute(expr.step, mapping))
    if isinstance(expr, TupleExpr):
        return TupleExpr(tuple(substitute(e, mapping) for e in expr.elts), expr.is_list)
    if isinstance(expr, Starred):
        return Starred(substitute(expr.value, mapping))
    raise TypeError(f"not an IR expression: {expr!r}")


class IRError(Exception):
    """An internal invariant of the IR is broken: a bug in adjoint, not in user code."""


REASSIGNABLE = (Kind.GRAD, Kind.TAPE, Kind.FLAG)


def verify(fn: Function) -> None:
    """Check single assignment and define-before-use (in program order).

    Variables listed in `fn.dynamic`, gradients (accumulators: grad_x = grad_x + ...),
    tapes and flags may be assigned more than once; every other variable exactly once.
    One name always means one variable.
    """
    defined = {p.name: p for p in fn.params}
    for index, stmt in enumerate(walk(fn.body)):
        for var in reads(stmt):
            if defined.get(var.name) != var:
                raise IRError(f"statement {index} ({type(stmt).__name__}) reads {var.name} "
                              "before it is defined")
        for var in targets(stmt):
            known = defined.get(var.name)
            if known is not None and known != var:
                raise IRError(f"statement {index}: two variables are named {var.name}")
            if known is not None and var not in fn.dynamic and var.kind not in REASSIGNABLE:
                raise IRError(f"statement {index} assigns {var.name} a second time")
            defined[var.name] = var
    if not fn.body or not isinstance(fn.body[-1], Return):
        raise IRError("the function does not end with its return")
    if any(isinstance(s, Return) for s in walk(fn.body[:-1])):
        raise IRError("a return before the end of the function")


def with_value(stmt, mapping: dict):
    """The statement with Vars in what it reads replaced (targets stay)."""
    if not mapping:
        return stmt
    if isinstance(stmt, SetItem):
        return replace(stmt, index=substitute(stmt.index, mapping), value=substitute(stmt.value, mapping))
    return replace(stmt, value=substitute(stmt.value, mapping))
