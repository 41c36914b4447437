"""What the checker's modules share: where something is in a document, and the errors located there."""
from __future__ import annotations

from dataclasses import dataclass

MAX_MESSAGE = 300   # characters of a document's own text quoted in one message


def shown(text: str, limit: int = MAX_MESSAGE) -> str:
    """Text from a document or a path, printable on one line: control characters (a newline in a
    file name) escaped, and cut at `limit` characters."""
    out = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(text))
    return out if len(out) <= limit else out[:limit - 1] + "…"


@dataclass(frozen=True)
class Location:
    """A place in a document: its path, and line and column counted from 1."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{shown(self.path)}:{self.line}:{self.column}"

    def at_line(self) -> str:
        """path:line, for errors about a whole line (a marker, the front matter)."""
        return f"{shown(self.path)}:{self.line}"


class DocumentError(Exception):
    """Something wrong with a document itself (not a false claim): located, with a message."""

    def __init__(self, where: Location, message: str, whole_line: bool = True):
        text = where.at_line() if whole_line else str(where)
        super().__init__(f"{text}: {shown(message, 2 * MAX_MESSAGE)}")
        self.where, self.message = where, message


class Located(Exception):
    """Raised inside an equation; `pos` is (line, column) within it."""

    def __init__(self, message: str, pos=(1, 1)):
        super().__init__(message)
        self.message, self.pos = message, pos


class OutOfRange(Located):
    """An index outside its declared range (a FAIL of the claim, not a malformed document)."""


class ShapeError(Located):
    """Operands whose shapes do not fit (a FAIL of the claim: as written it is not even defined)."""


class OverBudget(Exception):
    """An equation used up its evaluation steps (a deterministic bound, never a clock)."""


class Budget:
    """The evaluation steps one equation may take: a deterministic bound, so a verdict never depends
    on the machine or its load, and no document can make the checker hang."""

    def __init__(self, steps: int):
        self.steps, self.left, self.total = steps, steps, 0

    def reset(self) -> None:
        self.total += self.steps - self.left
        self.left = self.steps

    def spend(self, steps: int) -> None:
        self.left -= steps
        if self.left < 0:
            raise OverBudget()


class Unsupported(Exception):
    """A claim (or document) outside what a proof for every width handles (checker/general.py):
    the reason. Not an error of the document: the claim keeps its proof at one size."""
