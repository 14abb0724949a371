"""Lowering: a fenced gast FunctionDef -> SSA `ir.Function`.

Nested expressions are flattened into temporaries s0, s1, ... in evaluation order; a
name assigned again gets a new version (h, h_1, ...); free names become `Ref`s to the
objects they name now (module attribute chains such as np.linalg.norm stay one Ref).
Every statement records the user statement it came from. Input must have passed the
fence; anything else the lowering cannot express raises an `UnsupportedSyntax` naming
the line.

    h = np.tanh(X @ W + b)      ->    s0 = X @ W
                                      s1 = s0 + b
                                      h = np.tanh(s1)
"""
from __future__ import annotations

import operator
import types

import gast
import numpy as np

from .. import ir
from ..runtime.containers import appended, make_dict
from ..errors import Location, UnsupportedSyntax
from .frontend import MISSING, Parsed, resolve_free_name, signature_arguments
from .methods import method_function, registered_method
from .swaps import read_before_rebinding
from ..names import Namer
from ..rules.originals import is_adjoint_rule_module, original_attribute
from .local import LocalFunctionLowering, lambda_as_def
from .factories import FactoryLowering
from .objects import ObjectLowering
from .python import PythonLowering
from .records import RecordLowering, is_docstring  # (mixins: see each module)
from .sequences import SequenceLowering
from .spread import SpreadLowering
from .static_names import StaticNames
from .statics import kind_of
from .writes import WriteLowering
from ..syntax import BINARY, COMPARE, UNARY, walk_nodes
from .identifiers import assigned_names, user_names
from .flow import ControlFlowLowering, is_atom as _is_atom, is_number as _is_number


def lower(parsed: Parsed, flatten: bool = True, statics=None) -> ir.Function:
    """Lower to SSA (before `structure`; adjoint/pipeline.py runs both). With flatten=False
    nested expressions stay trees (for rule templates, which are pasted into generated code
    as whole expressions)."""
    return Lowering(parsed, flatten, statics).run()


def namer_for(parsed: Parsed, fn: ir.Function, extra=()) -> Namer:
    """A namer that avoids every name the function's code, its outside references and
    its lowered variables use: for the names the reverse pass and its callers add."""
    namer = Namer(user_names(parsed.node) | set(fn.free or ()) | set(extra))
    for stmt in ir.walk(fn.body):
        namer.taken.update(v.name for v in ir.targets(stmt))
    return namer


class Lowering(ControlFlowLowering, LocalFunctionLowering, ObjectLowering, PythonLowering, FactoryLowering,
               WriteLowering, StaticNames, SpreadLowering, SequenceLowering, RecordLowering):
    def __init__(self, parsed: Parsed, flatten: bool = True, statics: dict | None = None):
        self.parsed = parsed
        self.statics = statics or {}  # parameter name -> the callable or object compiled for
        self.static_of: dict = {}  # Var -> the callable or object it holds (see objects.py)
        self.static_uses: dict = {}  # Var assigned more than once, used as known -> where
        self.from_global: set = set()  # Vars holding objects read from a global (guarded)
        self.guards: list = []  # (table, key, object) the code assumed (see guards.py)
        self.flatten = flatten
        self.own_rule = is_adjoint_rule_module(parsed.globals)  # a body adjoint's rules paste
        self.namer = Namer(user_names(parsed.node))
        self.current: dict[str, ir.Var] = {}  # user name -> its live SSA version
        self.assigned = assigned_names(parsed.node)
        self.body: list = []
        self.origin: Location | None = None
        self.free: dict = {}  # free name -> the object it named when lowered
        self.loop_depth = 0
        self.local_functions: dict = {}  # nested defs and bound lambdas, inlined at calls
        self.inlining: set = set()
        self.dynamic: set = set()  # Vars assigned more than once (see ir.Function.dynamic)
        node = parsed.node
        # names assigned inside a branch or loop keep one variable (no SSA versions)
        self.merged = _names_assigned_in_blocks(node)
        self.single_return = _single_final_return(node)

    def run(self) -> ir.Function:
        node = self.parsed.node
        params = []
        for arg in signature_arguments(node.args):
            var = ir.Var(arg.id, ir.Kind.PARAM)
            self.current[arg.id] = var
            params.append(var)
            if arg.id in self.statics:
                self.static_of[var] = self.statics[arg.id]
            if arg.id in self.merged:
                self.dynamic.add(var)
        for name in sorted(self.merged - set(self.current)):
            self.current[name] = ir.Var(name, ir.Kind.USER)
            self.dynamic.add(self.current[name])
        statements = list(node.body)
        if statements and is_docstring(statements[0]):
            statements = statements[1:]
        self.body = self.block(statements)
        if not self.body or not isinstance(self.body[-1], ir.Return):
            self.body.append(ir.Return(ir.Const(None), self.parsed.location(node)))
        self.check_static_names(self.body)
        fn = ir.Function(node.name, params, self.body, origin=self.parsed.location(node),
                         posonly=len(node.args.posonlyargs), kwonly=len(node.args.kwonlyargs),
                         free=self.free, dynamic=frozenset(self.dynamic),
                         statics=dict(self.static_of), guards=tuple(self.guards),
                         vararg=node.args.vararg.id if node.args.vararg else None,
                         kwarg=node.args.kwarg.id if node.args.kwarg else None)
        return fn

    def block(self, statements) -> list:
        """Lower a list of statements into a new IR block."""
        saved, self.body = self.body, []
        for stmt in statements:
            saved_origin, self.origin = self.origin, self.parsed.location(stmt)
            self.statement(stmt)
            self.origin = saved_origin
            if isinstance(stmt, (gast.Return, gast.Break, gast.Continue)):
                break  # what follows a jump never runs
        block, self.body = self.body, saved
        return block

    # statements -----------------------------------------------------------------
    def statement(self, stmt) -> None:
        if isinstance(stmt, gast.Return):
            value = ir.Const(None) if stmt.value is None else self.returned(stmt.value)
            self.body.append(ir.Return(value, self.origin))
        elif isinstance(stmt, gast.Assign):
            self.assign(stmt)
        elif isinstance(stmt, gast.AnnAssign):
            if stmt.value is not None:
                self.bind(stmt.target, stmt.value)
        elif isinstance(stmt, gast.AugAssign):
            self.augassign(stmt)
        elif isinstance(stmt, gast.Expr) and _is_append(stmt.value):
            self.append(stmt.value)
        elif isinstance(stmt, gast.Expr):
            if not isinstance(stmt.value, gast.Constant):  # a bare string or number does nothing
                value = self.value(stmt.value)
                if not isinstance(value, (ir.Const, ir.Var)):  # (x.fill(v) left only its write)
                    self.body.append(ir.ExprStmt(value, self.origin))
        elif isinstance(stmt, gast.FunctionDef):
            self.define_local_function(stmt)
        elif isinstance(stmt, gast.If):
            test = self.test(stmt.test)
            body, orelse = self.block(stmt.body), self.block(stmt.orelse)
            self.body.append(ir.If(test, body, orelse, self.origin))
        elif isinstance(stmt, gast.For):
            self.for_loop(stmt)
        elif isinstance(stmt, gast.While):
            self.while_loop(stmt)
        elif isinstance(stmt, gast.Assert):
            self.assertion(stmt)
        elif isinstance(stmt, gast.With):
            self.with_block(stmt)
        elif isinstance(stmt, gast.Break):
            self.body.append(ir.Break(self.origin))
        elif isinstance(stmt, gast.Continue):
            self.body.append(ir.Continue(self.origin))
        elif not isinstance(stmt, gast.Pass):
            raise self.unsupported(stmt, f"the statement {type(stmt).__name__}")

    def assign(self, stmt: gast.Assign) -> None:
        if isinstance(stmt.value, gast.Lambda):  # f = lambda x: ...  is a local function
            self.define_local_function(lambda_as_def(stmt.targets[0].id, stmt.value))
            return
        if len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) and \
                isinstance(stmt.value, gast.Call) and self.factory_result(stmt.targets[0].id, stmt.value):
            return  # f = make_scale(c): f is the function it returned (factories.py)
        if len(stmt.targets) == 1:
            self.bind(stmt.targets[0], stmt.value)
            return
        value = self.operand(stmt.value)  # a = b = expr: evaluate once
        for target in stmt.targets:
            self.bind_atom(target, value)

    def bind(self, target, value_node) -> None:
        if isinstance(target, gast.Subscript):
            self.set_item(target, self.operand(value_node))
            return
        if isinstance(target, gast.Name):
            value = self.value(value_node)
            self.assign_name(target.id, value, self.at(value_node))
        elif isinstance(value_node, gast.Tuple) and len(value_node.elts) == len(target.elts) \
                and not any(isinstance(t, gast.Starred) for t in target.elts + value_node.elts):
            values = read_before_rebinding(self, target.elts, [self.operand(v) for v in value_node.elts])
            for sub_target, value in zip(target.elts, values):  # a, b = b, a swaps
                self.bind_atom(sub_target, value)
        elif not all(isinstance(t, gast.Name) for t in target.elts):  # a, *rest = xs; (a, b), c = t
            self.unpack_into(target, self.operand(value_node))
        else:  # a, b = f(x): f's result is one value, then unpacked (a tuple, or an array's rows)
            value = self.operand(value_node)
            self.emit(ir.Assign(self.unpack_targets(target), value, self.at(value_node)))

    def bind_atom(self, target, value) -> None:
        if isinstance(target, gast.Subscript):
            self.set_item(target, value)
            return
        if isinstance(target, gast.Name):
            self.assign_name(target.id, value, self.origin)
        elif not all(isinstance(t, gast.Name) for t in target.elts):
            self.unpack_into(target, self.atom_of(value) if isinstance(value, ir.TupleExpr) else value)
        else:
            self.emit(ir.Assign(self.unpack_targets(target), value, self.origin))

    def assign_name(self, name: str, value, origin) -> None:
        if value == self.current.get(name) and name in self.merged:
            return  # a = a does nothing (as a statement it would restore and reset a's gradient)
        var = self.define(name)
        self.emit(ir.Assign(var, value, origin))
        example = self.static_value(value) if isinstance(value, (ir.Var, ir.Ref)) else \
            self.display_packed(value, name)  # d = {'a': x}: its keys, for f(**d) (spread.py)
        if example is not MISSING:  # g = f: g holds the same callable or object
            self.static_of[var] = example

    def augassign(self, stmt: gast.AugAssign) -> None:
        """x += v is x = x + v; refused where x may share memory with another array,
        because Python would then change that array too (see aliases.py). x[i] += v reads
        x[i], adds, and writes it back."""
        if isinstance(stmt.target, gast.Subscript):
            views, indices = self.subscript_chain(stmt.target)
            old = self.atom_of(ir.Subscript(views[-1], indices[-1]), stmt)
            new = self.atom_of(ir.BinOp(BINARY[type(stmt.op)], old, self.operand(stmt.value)), stmt)
            self.emit(ir.SetItem(views[-1], indices[-1], new, self.at(stmt)))
            self.write_back(views, indices, stmt.target)
            return
        if not isinstance(stmt.target, gast.Name):
            raise self.unsupported(stmt, "augmented assignment into an attribute",
                                   "keep the value in a local variable")
        name = stmt.target.id
        current = self.name(gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None))
        value = ir.BinOp(BINARY[type(stmt.op)], current, self.operand(stmt.value))
        self.assign_name(name, value, self.at(stmt))
        self.body[-1].may_alias = name  # checked once shapes are known (see aliases.py)

    def append(self, call: gast.Call) -> None:
        """xs.append(v) -> xs = appended(xs, v): a new list, so each version of xs stays
        intact for the backward; refused (like x += v) where xs may be shared."""
        name = call.func.value.id
        current = self.name(call.func.value)
        item = self.operand(call.args[0])
        self.assign_name(name, ir.Call(_APPENDED, (current, item)), self.at(call))
        self.body[-1].may_alias = name

    def emit(self, stmt) -> None:
        if self.loop_depth:
            self.dynamic.update(ir.targets(stmt))
        self.body.append(stmt)

    def unpack_targets(self, target) -> tuple:
        if not isinstance(target, gast.Tuple) or not all(isinstance(t, gast.Name) for t in target.elts):
            raise self.unsupported(target, "nested or starred unpacking")
        return tuple(self.define(t.id) for t in target.elts)

    def define(self, name: str) -> ir.Var:
        """A new SSA version of a user name: h first, then h_1, h_2, ...; a merged name
        (assigned inside a branch or loop) is always the same variable."""
        if name in self.merged:
            return self.current[name]
        if name in self.current:
            var = ir.Var(self.namer.fresh(name), ir.Kind.USER)
        else:
            var = ir.Var(name, ir.Kind.USER)
        self.current[name] = var
        return var

    # expressions ----------------------------------------------------------------
    def operand(self, node):
        """Lower an expression to an atom (or a tuple/slice of atoms)."""
        value = self.value(node)
        if not self.flatten or isinstance(value, (ir.Var, ir.Const, ir.Ref, ir.TupleExpr, ir.Slice)):
            return value
        temp = ir.Var(self.namer.temp(), ir.Kind.TEMP)
        self.emit(ir.Assign(temp, value, self.at(node)))
        return temp

    def at(self, node) -> Location:
        """Where an operation is: the expression's own line and column."""
        return self.parsed.location(node) if getattr(node, "lineno", None) else self.origin

    def returned(self, node):
        """A returned expression that is not a plain name is named out (seed: grad_out)."""
        if not self.single_return:
            return self.operand(node)  # structuring assigns every returned value to out
        value = self.value(node)
        if not self.flatten or isinstance(value, (ir.Var, ir.Const, ir.Ref, ir.TupleExpr)):
            return value
        out = ir.Var(self.namer.fresh("out"), ir.Kind.TEMP)
        self.emit(ir.Assign(out, value, self.at(node)))
        return out

    def value(self, node):
        """Lower an expression to one operation on atoms."""
        if isinstance(node, gast.Constant):
            return ir.Const(node.value)
        if isinstance(node, gast.Name):
            return self.name(node)
        if isinstance(node, gast.BinOp):
            return self.binary(node)  # (or tuples joined: sequences.py)
        if isinstance(node, gast.UnaryOp):
            op = UNARY[type(node.op)]
            if op in (operator.neg, operator.pos) and _is_number(node.operand):
                return ir.Const(op(node.operand.value))  # -1 is a constant, not an operation
            return ir.UnaryOp(op, self.operand(node.operand))
        if isinstance(node, gast.BoolOp):
            return self.boolop(node)
        if isinstance(node, gast.IfExp):
            return self.ifexp(node)
        if isinstance(node, (gast.ListComp, gast.GeneratorExp)):
            return self.comprehension(node)
        if isinstance(node, gast.Dict):
            if any(k is None for k in node.keys):
                raise self.unsupported(node, "**unpacking in a dict display", "list the entries")
            keys = ir.TupleExpr(tuple(self.operand(k) for k in node.keys))
            values = ir.TupleExpr(tuple(self.operand(v) for v in node.values))
            return ir.Call(_MAKE_DICT, (keys, values))
        if isinstance(node, gast.Compare):
            if len(node.ops) != 1:
                return self.chained_compare(node)
            return ir.Compare(COMPARE[type(node.ops[0])], self.operand(node.left),
                              self.operand(node.comparators[0]))
        if isinstance(node, gast.Attribute):
            return self.attribute(node)
        if isinstance(node, gast.Subscript):
            return self.subscript(node, self.operand(node.value), self.index(node.slice))
        if isinstance(node, gast.Call):
            return self.call(node)
        if isinstance(node, (gast.Tuple, gast.List)):
            # a list literal is only ever read (mutation is rejected by the fence)
            return ir.TupleExpr(tuple(self.items(node.elts, nested=True)), isinstance(node, gast.List))
        if isinstance(node, gast.Slice):
            return self.index(node)
        if isinstance(node, gast.JoinedStr):
            return self.fstring(node)
        raise self.unsupported(node, f"the expression {type(node).__name__}")

    def name(self, node: gast.Name):
        if node.id in self.current:
            return self.current[node.id]
        if node.id in self.assigned:
            raise UnsupportedSyntax.at(self.parsed.location(node),
                                       f"'{node.id}' is read before it is assigned",
                                       "assign it first (Python would raise UnboundLocalError)")
        obj = resolve_free_name(self.parsed, node.id)
        if obj is MISSING:
            raise UnsupportedSyntax.at(self.parsed.location(node), f"name '{node.id}' is not defined",
                                       "define it before calling the gradient")
        self.free[node.id] = obj
        return ir.Ref(node.id, obj, (), obj)

    def attribute_base(self, node: gast.Attribute):
        return self.value(node.value) if isinstance(node.value, (gast.Name, gast.Attribute)) \
            else self.operand(node.value)

    def attribute(self, node: gast.Attribute):
        base = self.attribute_base(node)
        if isinstance(base, ir.Ref) and isinstance(base.value, types.ModuleType):
            if not hasattr(base.value, node.attr):
                raise UnsupportedSyntax.at(self.parsed.location(node),
                                           f"module '{base.value.__name__}' has no attribute '{node.attr}'")
            value = getattr(base.value, node.attr)  # adjoint's own rules: as registered
            value = original_attribute(base.value, node.attr, value) if self.own_rule else value
            return ir.Ref(base.root_name, base.root, base.path + (node.attr,), value)
        if isinstance(base, ir.Ref) and registered_method(base.value, node.attr) is not None:
            return ir.Ref(base.root_name, base.root, base.path + (node.attr,),
                          registered_method(base.value, node.attr))  # norm.logpdf: a rule's key
        if not isinstance(base, (ir.Var, ir.Const, ir.Ref)):
            base = self.atom_of(base)
        return self.field(base, node.attr, node)

    def atom_of(self, value, node=None):
        if not self.flatten or _is_atom(value):
            return value
        temp = ir.Var(self.namer.temp(), ir.Kind.TEMP)
        self.emit(ir.Assign(temp, value, self.at(node) if node is not None else self.origin))
        return temp

    def call(self, node: gast.Call):
        node = self.spread(node)  # f(**d), f(*args) of known contents: one by one
        if isinstance(node.func, gast.Name) and node.func.id in self.local_functions:
            return self.inline_call(self.local_functions[node.func.id], node)
        written = self.writing_call(node)
        if written is not None:
            return written
        special = self.python_call(node)
        if special is None and self.passes_local_function(node):
            special = self.inline_with_functions(node)  # rk4(f, y) with f defined here
        if special is not None:
            return special
        if isinstance(node.func, gast.Attribute):
            base = self.attribute_base(node.func)
            if not (isinstance(base, ir.Ref) and isinstance(base.value, types.ModuleType)):
                return self.method_call(node, base, node.func.attr)
        func = self.value(node.func) if isinstance(node.func, (gast.Name, gast.Attribute)) else \
            self.operand(node.func)
        example = self.static_value(func)
        args, kwargs = self.call_arguments(node)
        if example is not MISSING and not (isinstance(func, ir.Ref) and kind_of(example) == "function"):
            return self.call_static(node, func, example, args, kwargs)
        if not isinstance(func, ir.Ref) or not callable(func.value):
            raise self.call_unknown(node, func)
        return self.plain_call(node, func, args, kwargs)  # (or an object built: records.py)

    def call_arguments(self, node: gast.Call):
        return self.items(node.args), [(k.arg, self.operand(k.value)) for k in node.keywords]

    def array_method(self, node: gast.Call, base, name: str):
        """x.sum(axis=1) -> np.sum(x, axis=1): an array method is its numpy function (the
        last resort of method_call, see objects.py)."""
        found = method_function(name)
        if found is None:
            found = self.python_method(node, base, name)
            if found is not None:
                return found
        if found is None and hasattr(np, name):
            raise self.unsupported(node, f"the method call .{name}()",
                                   f"call the numpy function instead: np.{name}(x, ...)")
        if found is None:
            raise self.unsupported(node, f"the method call .{name}() (on a value whose type is not "
                                   "known when compiling)", "call a function that takes the value "
                                   "as an argument")
        method = ir.Attr(base, name)
        function, packed = found
        args = [self.operand(a) for a in node.args]
        if packed and (len(args) > 1 or args and isinstance(node.args[0], gast.Constant)
                       and isinstance(node.args[0].value, int)):
            args = [ir.TupleExpr(tuple(args))]  # x.reshape(3, 4) -> np.reshape(x, (3, 4))
        kwargs = [(k.arg, self.operand(k.value)) for k in node.keywords]
        if method.name == "astype" and args and function is np.asarray:
            kwargs.insert(0, ("dtype", args.pop(0)))
        ref = ir.Ref("np", np, (function.__name__,), function) if function.__module__ == "numpy" \
            else ir.Ref(function.__name__, function, (), function)
        return ir.Call(ref, (method.value,) + tuple(args), tuple(kwargs))

    def index(self, node):
        if isinstance(node, gast.Slice):
            parts = [None if p is None else self.operand(p) for p in (node.lower, node.upper, node.step)]
            return ir.Slice(*parts)
        if isinstance(node, gast.Tuple):
            return ir.TupleExpr(tuple(self.index(e) for e in node.elts))
        return self.operand(node)

    def unsupported(self, node, what: str, fix: str = "") -> UnsupportedSyntax:
        return UnsupportedSyntax.at(self.parsed.location(node), f"{what} is not supported", fix)


def _names_assigned_in_blocks(func_node) -> set:
    """Names assigned inside an if, for or while (loop targets included)."""
    names = set()
    for node in _statements(func_node.body):
        if isinstance(node, (gast.If, gast.For, gast.While)):
            for inner in node.body + node.orelse + ([node.target] if isinstance(node, gast.For) else []):
                names.update(n.id for n in walk_nodes(inner)
                             if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store))
                names.update(n.func.value.id for n in walk_nodes(inner) if _is_append(n))
    return names


def _statements(statements, nested: bool = True):
    """Every statement (and except handler) in `statements`, those of nested functions too
    unless not `nested`; expressions, which hold no statement, are not walked."""
    skipped = (gast.expr, gast.expr_context) if nested else (gast.expr, gast.expr_context, gast.FunctionDef)
    stack = list(statements)
    while stack:
        node = stack.pop()
        yield node
        for value in (getattr(node, name, None) for name in node._fields):
            if isinstance(value, list):
                stack.extend(c for c in value if isinstance(c, gast.AST) and not isinstance(c, skipped))


def _single_final_return(func_node) -> bool:
    returns = [n for n in _statements(func_node.body, nested=False) if isinstance(n, gast.Return)]
    return len(returns) <= 1 and (not returns or func_node.body[-1] is returns[0])


_APPENDED = ir.Ref("appended", appended, (), appended)
_MAKE_DICT = ir.Ref("make_dict", make_dict, (), make_dict)


def _is_append(node) -> bool:
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
        and node.func.attr == "append" and isinstance(node.func.value, gast.Name) \
        and len(node.args) == 1 and not node.keywords

