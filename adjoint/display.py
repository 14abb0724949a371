"""How generated code shows itself in Jupyter: highlighted, not as a quoted string.

`adjoint.source(...)` returns a `Source` (a str: print it, compare it, write it to a file)
that a notebook displays as highlighted Python (HTML from pygments when installed, else
a fenced Markdown block). `adjoint.graph(...)` returns a `Graph` (the DOT text) that a
notebook draws as SVG when Graphviz's dot program is installed, and otherwise shows as
DOT text.
"""
from __future__ import annotations

import collections
import html
import shutil
import subprocess


class Source(str):
    """Generated Python source, displayed highlighted in notebooks."""

    def _repr_html_(self) -> str:
        colored = highlighted(str(self), "html")
        return colored if colored is not None else f"<pre>{html.escape(str(self))}</pre>"

    def _repr_markdown_(self) -> str:
        return f"```python\n{self}```\n" if self.endswith("\n") else f"```python\n{self}\n```\n"


class PendingSource(collections.UserString):
    """A gradient's `.source` before its first call: the code for array arguments,
    compiled when first read (reading it may raise what compiling raises). It behaves
    as the string for printing, comparing and str methods; str() of it is a str."""

    def __init__(self, text_or_compile):
        # a function compiling the code; UserString's methods making a new string pass a str
        self._text = text_or_compile

    @property
    def data(self) -> str:
        return self._text() if callable(self._text) else self._text

    def _repr_html_(self) -> str:
        return Source(self.data)._repr_html_()

    def _repr_markdown_(self) -> str:
        return Source(self.data)._repr_markdown_()


def highlighted(text: str, kind: str) -> str | None:
    """Python `text` highlighted for a terminal (kind "terminal": ANSI escapes) or a page
    ("html"), by pygments; None when pygments is not installed."""
    try:
        from pygments import formatters, highlight, lexers  # optional, and slow to import
    except ImportError:
        return None
    formatter = formatters.HtmlFormatter(noclasses=True) if kind == "html" else formatters.TerminalFormatter()
    return highlight(text, lexers.PythonLexer(), formatter)


class Graph(str):
    """Graphviz DOT text of a computational graph, drawn as SVG in notebooks."""

    def _repr_svg_(self) -> str | None:
        program = shutil.which("dot")
        if program is None:
            return None  # the notebook falls back to _repr_markdown_
        done = subprocess.run([program, "-Tsvg"], input=self.encode(), capture_output=True, check=False)
        return done.stdout.decode() if done.returncode == 0 else None

    def _repr_markdown_(self) -> str:
        return f"```dot\n{self}```\n"
