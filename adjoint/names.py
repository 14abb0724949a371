"""Naming of generated variables: readable, unique and deterministic.

| thing                    | name             |
| user variable            | as written: L    |
| reassigned user variable | h_1, h_2 ...     |
| compiler temporary       | s0, s1 ... (skipping names the user took) |
| gradient of a value      | grad_<value>     |
Names are handed out in program order, so the same function always gets the same names.
"""
from __future__ import annotations


class Namer:
    def __init__(self, reserved=()):
        self.taken: set[str] = set(reserved)
        self.next_temp = 0

    def fresh(self, preferred: str) -> str:
        """`preferred` if free, else preferred_1, preferred_2, ..."""
        name, k = preferred, 0
        while name in self.taken:
            k += 1
            name = f"{preferred}_{k}"
        self.taken.add(name)
        return name

    def temp(self) -> str:
        """The next free s<k>."""
        while f"s{self.next_temp}" in self.taken:
            self.next_temp += 1
        name = f"s{self.next_temp}"
        self.taken.add(name)
        self.next_temp += 1
        return name
