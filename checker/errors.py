"""The errors the checker's modules share: a bad document, and problems located inside an equation."""
from __future__ import annotations


class DocumentError(Exception):
    """Something wrong with a document itself (not a false claim): located, with a message."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
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
