"""Seeded random numpy programs that write in place, for testing adjoint's in-place writes.

`generate(seed)` writes a module with helpers and `f(x, M, a)` (x: 5 floats, M: 3x4, a: a
float) that copies its arrays, makes views, aliases, transposes and lists of them, writes
into them (`u[i] = v`, slices, op= on slices, rows and whole arrays, `np.add.at`, `out=`,
helpers that write into or update their argument) and reads every name again, before and
after the writes, into a scalar. Deterministic per seed; a candidate that is not tame
(random_runtime.tame: overflow, a comparison near flipping) is replaced by the next attempt
of the same seed. Nothing is chosen for how adjoint handles it.
"""
from __future__ import annotations

import random

import numpy as np

from random_runtime import Program, tame

SHAPES = {"x": (5,), "M": (3, 4)}
HELPERS = '''

def h_set(p, q):
    p[0] = q * 0.5


def h_add(p, q):
    p += q * 0.25
    return np.sum(p)


def h_scale(p, q):
    p *= 0.9 + 0.1 * np.tanh(q)
'''


class _Writer:
    def __init__(self, rng: random.Random):
        self.rng, self.lines, self.count = rng, [], 0
        self.arrays = {}  # name -> shape of a writable array (a copy or a view of one)

    def fresh(self, prefix):
        self.count += 1
        return f"{prefix}{self.count}"

    def const(self):
        return f"{self.rng.choice([-1, 1]) * self.rng.uniform(0.2, 1.2):.2f}"

    def emit(self, line):
        self.lines.append("    " + line)

    def pick(self):
        return self.rng.choice(sorted(self.arrays))

    def scalar(self):
        """A scalar read of some array (or of a)."""
        name = self.pick()
        form = self.rng.choice(["np.sum({n} * {c})", "np.sum(np.sin({n}))", "np.mean({n} ** 2)", "a"])
        return form.format(n=name, c=self.const())

    def index(self, shape):
        """(index text, shape of what it selects): an entry, a slice or a row."""
        n = shape[0]
        if n < 2 or len(shape) == 2 and shape[1] < 2:
            return "...", shape
        lo = self.rng.randrange(n - 1)
        hi = self.rng.randrange(lo + 1, n + 1)
        if len(shape) == 1:
            return self.rng.choice([(str(lo), ()), (f"{lo}:{hi}", (hi - lo,)), ("::2", ((n + 1) // 2,))])
        return self.rng.choice([(str(lo), shape[1:]), (f"{lo}, {hi - 1 if hi - 1 < shape[1] else 0}", ()),
                                (f"{lo}:{hi}", (hi - lo,) + shape[1:]), (f":, {lo}", (shape[0],))])

    def value(self, shape):
        """A value of `shape` (or a scalar, which broadcasts)."""
        same = [n for n, s in sorted(self.arrays.items()) if s == shape]
        if same and self.rng.random() < 0.5:
            return f"np.tanh({self.rng.choice(same)}) * {self.const()}"
        return f"{self.const()} * np.tanh({self.scalar()})"

    def statement(self):
        kind = self.rng.choice(["view", "view", "alias", "list", "write", "write", "opwrite",
                                "scalar_op", "helper", "add_at", "out", "read"])
        getattr(self, "make_" + kind)()

    def make_view(self):
        name = self.pick()
        shape = self.arrays[name]
        index, sub = self.index(shape)
        if sub == ():
            index, sub = (":2", (2,) + shape[1:]) if shape[0] >= 2 else (":", shape)
        if self.rng.random() < 0.2 and len(shape) == 2:
            view, sub = f"{name}.T", shape[::-1]
        else:
            view = f"{name}[{index}]"
        new = self.fresh("v")
        self.emit(f"{new} = {view}")
        self.arrays[new] = sub

    def make_alias(self):
        name, new = self.pick(), self.fresh("w")
        self.emit(f"{new} = {name}")
        self.arrays[new] = self.arrays[name]

    def make_list(self):
        new = self.fresh("c")
        first, second = self.pick(), self.pick()
        self.emit(f"{new} = [{first}, {second}]")
        self.emit(f"s = s + np.sum({new}[{self.rng.randrange(2)}] * {self.const()})")

    def make_write(self):
        name = self.pick()
        index, sub = self.index(self.arrays[name])
        self.emit(f"{name}[{index}] = {self.value(sub)}")

    def make_opwrite(self):
        name = self.pick()
        op = self.rng.choice(["+=", "-=", "*="])
        if self.rng.random() < 0.4:
            self.emit(f"{name} {op} {self.value(self.arrays[name]) if op != '*=' else '0.9'}")
            return
        index, sub = self.index(self.arrays[name])
        value = self.value(sub) if op != "*=" else f"(1.0 + 0.1 * np.tanh({self.scalar()}))"
        self.emit(f"{name}[{index}] {op} {value}")

    def make_scalar_op(self):
        self.emit(f"s {self.rng.choice(['+=', '-='])} {self.scalar()}")
        if self.rng.random() < 0.5:
            self.emit(f"a {self.rng.choice(['+=', '*='])} 0.1 * np.tanh({self.scalar()})")

    def make_helper(self):
        name = self.pick()
        helper = self.rng.choice(["h_set", "h_add", "h_scale"])
        if helper == "h_set" and self.arrays[name] == ():
            return
        self.emit(f"{helper}({name}, {self.scalar()})")

    def make_add_at(self):
        name = self.pick()
        if len(self.arrays[name]) != 1 or self.arrays[name][0] < 2:
            return self.make_write()
        self.emit(f"np.add.at({name}, np.array([0, 1, 0]), {self.const()} * np.tanh({self.scalar()}))")

    def make_out(self):
        name = self.pick()
        self.emit(f"np.multiply({name}, {1.0 + 0.1 * self.rng.random():.2f}, out={name})")

    def make_read(self):
        self.emit(f"s = s + {self.scalar()} * {self.const()}")

    def write(self) -> str:
        self.emit("u = x.copy()")
        self.emit("A = M.copy()")
        self.emit("s = 0.0")
        self.arrays = {"u": (5,), "A": (3, 4)}
        for _ in range(self.rng.randrange(4, 10)):
            self.statement()
        reads = " + ".join(f"np.sum({n} * {n}) * {self.const()}" for n in sorted(self.arrays))
        self.emit(f"return s + a * 0.5 + {reads}")
        return "\n".join(self.lines)


def generate(seed: int) -> Program:
    for attempt in range(50):
        rng = random.Random(seed * 1000 + attempt)
        body = _Writer(rng).write()
        source = f'"""Generated by tests/random_mutation_programs.py."""\nimport numpy as np\n' \
            f'{HELPERS}\n\ndef f(x, M, a):\n{body}\n'
        data = np.random.default_rng(seed + 7919 * attempt)
        args = (data.uniform(-1, 1, 5), data.uniform(-1, 1, (3, 4)), float(data.uniform(-1, 1)))
        program = Program(seed, attempt, source, args, ("x", "M", "a"))
        if tame(program):
            return program
    raise RuntimeError(f"no tame program for seed {seed}")
