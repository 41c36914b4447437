"""The harness's report: what was checked, what is wrong in the user's terms, and how to reproduce it
(harness/check.py makes it)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from backproof.reference.compare import MEASURE

PRINT_INPUTS_UP_TO = 60       # numbers: a counterexample this small is printed in full
STATUSES = ("pass", "fail", "nothing checked")


@dataclass
class Wrong:
    """One wrong tensor, in the user's terms: its name and the worst entry."""

    parameter: str
    index: tuple | None
    given: float
    expected: float
    error: float              # in compare.MEASURE (> 1 fails)
    allowed: float

    def __str__(self) -> str:
        ratio = f"×{self.given / self.expected:.6g}, " if self.expected else ""
        rel = f"relative error {abs(self.given - self.expected) / abs(self.expected):.3g}" if self.expected else \
            f"absolute error {abs(self.given - self.expected):.3g}"
        return (f"{self.parameter} at {self.index}: given {self.given:.17g}, expected {self.expected:.17g} "
                f"({ratio}{rel}; error {self.error:.3g} > 1)")


@dataclass
class Counterexample:
    """The smallest failing case found, in the user's layout, with what was wrong."""

    sizes: list[int]
    activations: list[str]
    loss: str
    reduction: str
    batch: int
    dtype: str
    wrong: list[Wrong] = field(default_factory=list)   # wrong tensors, the one nearest the output first
    problem: str = ""        # not a wrong value: a shape, a dtype, a non-finite value, an exception
    parameter: str = ""      # where the problem is (the root's name for wrong values)
    raised_at: str = ""      # file:line in the user's code where an exception was raised
    diagnosis: str = ""      # a neighbouring convention the given gradients fit
    kind: str = ""           # what kind of failure: kept while shrinking
    oracle: str = ""         # what decided
    run_in: str = ""         # "float64" where a float32 check judged the logic in float64
    l2: float = 0.0
    weights: list = field(repr=False, default_factory=list)
    biases: list = field(repr=False, default_factory=list)
    x: np.ndarray | None = field(repr=False, default=None)
    y: np.ndarray | None = field(repr=False, default=None)

    @property
    def root(self) -> Wrong | None:
        return self.wrong[0] if self.wrong else None

    @property
    def index(self):
        return self.root.index if self.root else None

    @property
    def given(self):
        return self.root.given if self.root else None

    @property
    def expected(self):
        return self.root.expected if self.root else None

    def received(self) -> str:
        """The shapes the user's function was called with."""
        shapes = lambda arrays: "[" + ", ".join(str(np.shape(a)) for a in arrays) + "]"  # noqa: E731
        return (f"weights {shapes(self.weights)}, biases {shapes(self.biases)}, "
                f"x {np.shape(self.x)}, y {np.shape(self.y)}")

    def __str__(self) -> str:
        l2 = f" l2={self.l2:g}" if self.l2 else ""
        lines = [f"sizes={self.sizes} activations={self.activations} loss={self.loss} reduction={self.reduction}"
                 f"{l2} batch={self.batch} dtype={self.dtype}",
                 f"  your function received: {self.received()}"]
        if self.problem:
            lines.append(f"  {self.parameter}: {self.problem}")
            if self.raised_at:
                lines.append(f"  raised at {self.raised_at}")
        else:
            run = " (run in float64: the logic)" if self.run_in == "float64" else ""
            lines.append(f"  wrong{run}, nearest the output first (errors flow towards the input, so the first is "
                         "where to look):")
            lines.extend(f"    {w}" for w in self.wrong)
            lines.append(f"  error in {MEASURE}; decided by {self.oracle}")
        if self.diagnosis:
            lines.append(f"  diagnosis: {self.diagnosis}")
        arrays = [*self.weights, *self.biases, np.asarray(self.x), np.asarray(self.y)]
        if sum(np.size(a) for a in arrays) <= PRINT_INPUTS_UP_TO:
            with np.printoptions(precision=17, floatmode="maxprec", linewidth=100):
                named = [(f"weights[{i}]", w) for i, w in enumerate(self.weights)]
                named += [(f"biases[{i}]", v) for i, v in enumerate(self.biases)] + [("x", self.x), ("y", self.y)]
                for name, a in named:
                    lines.append(f"  {name} = " + repr(a).replace("\n", "\n  " + " " * (len(name) + 3)))
        return "\n".join(lines)


@dataclass
class Report:
    status: str                      # one of STATUSES
    examples: int                    # networks on which something was checked
    nothing_checked: int             # networks whose every reference gradient was exactly zero
    seed: int
    settings: dict
    counterexample: Counterexample | None = None
    recognised: list = field(default_factory=list)   # conventions recognised rather than stated

    @property
    def ok(self) -> bool:
        return self.status == "pass"

    def __str__(self) -> str:
        what = ", ".join(f"{k}={v!r}" for k, v in self.settings.items())
        seen = "".join(f"\n  recognised: {r}" for r in self.recognised)
        skipped = f"; {self.nothing_checked} more had all-zero gradients and checked nothing" \
            if self.nothing_checked else ""
        if self.status == "pass":
            return (f"backprop OK: agrees with the oracles on {self.examples} generated networks{skipped} "
                    f"({what}, seed={self.seed}){seen}")
        if self.status == "nothing checked":
            return (f"NOTHING CHECKED: every one of the {self.nothing_checked} generated networks had all-zero "
                    f"reference gradients ({what}, seed={self.seed}); widen what is drawn{seen}")
        return (f"backprop WRONG ({what}); smallest failing network found:\n{self.counterexample}{seen}\n"
                f"  reproduce: check_backprop(..., seed={self.seed}) with the same settings")


class BackpropMismatch(AssertionError):
    """Raised by assert_backprop; `.report` holds the Report (and its counterexample's inputs)."""

    def __init__(self, report: Report):
        super().__init__(str(report))
        self.report = report
