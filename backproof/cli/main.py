"""The `backproof` command. With no arguments it runs `backproof check` on its embedded defaults.

Each subcommand lives in its own module and is imported only when it runs, so `backproof --help`
and `--version` start without torch or sympy."""
from __future__ import annotations

import argparse
import sys
import zlib

from backproof import __version__

DEFAULT_COUNT = 40
DEFAULT_SEED = 2026


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="backproof",
        description="Prove a backward pass right: check backproof's hand-written NumPy backprop "
                    "against PyTorch autograd and central finite differences.")
    parser.add_argument("--version", action="version", version=f"backproof {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = sub.add_parser("check", help="(default) sweep random architectures and print a table",
                           description="Check manual/'s backward pass on a seeded sweep of random "
                                       "networks: every delta[l], dW[l], db[l] and the loss against "
                                       "autograd (float64), and dW, db against finite differences.")
    check.add_argument("--count", type=_positive_int, default=DEFAULT_COUNT,
                       help=f"number of random networks (default {DEFAULT_COUNT})")
    check.add_argument("--seed", type=_nonneg_int, default=DEFAULT_SEED, help=f"sweep seed (default {DEFAULT_SEED})")
    check.add_argument("--max-depth", type=_nonneg_int, default=4, help="most hidden layers (default 4)")
    check.add_argument("--max-width", type=_positive_int, default=8, help="widest layer (default 8)")
    check.add_argument("--max-batch", type=_positive_int, default=6, help="largest batch (default 6)")
    check.add_argument("--no-symbolic", action="store_true",
                       help="skip the symbolic (exact SymEngine) oracle, the slowest of the four")
    check.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ders = sub.add_parser("derivations", help="check the derivation documents' equations",
                          description="Check every displayed equation of the derivation documents "
                                      "(derivations/*.md by default): definitions, claims evaluated to "
                                      "50 digits on random networks and, where SymPy can, proved; errata "
                                      "must be wrong; manual/ functions tied to equations must agree. "
                                      "Exit status 1 on any failure.")
    ders.add_argument("paths", nargs="*", metavar="PATH",
                      help="documents or directories (default: the derivations/ folder)")
    ders.add_argument("--no-prove", action="store_true", help="skip the SymPy proof attempts (claims are still evaluated)")
    ders.add_argument("--no-cache", action="store_true",
                      help="check every document again instead of reading unchanged ones' reports from the "
                           "cache (~/.cache/backproof/derivations; BACKPROOF_CACHE_DIR sets another folder)")
    ders.add_argument("--seed", type=_nonneg_int, help="replace every document's seed: other random points")
    ders.add_argument("-v", "--verbose", action="store_true", help="list every equation, not only failures")
    ders.add_argument("--json", action="store_true", help="print JSON instead of the report")
    ders.add_argument("--html", metavar="DIR", help="also write each document as an HTML page with its "
                                                   "verdicts, and an index.html, into DIR")
    cc = sub.add_parser("check-code", help="check the backprop in your .py file or notebook",
                        description="Load a .py file (its top level, not its __main__ block) or a Jupyter "
                                    "notebook's code cells, find its backprop (a function named like "
                                    "backprop, or a class with a backprop/backward/loss/train method) and check "
                                    "it on generated networks against the oracles, recognising its layout, "
                                    "weight and bias shapes, return style and dtype. Exit status 0 when it "
                                    "agrees, 1 when it is wrong, 2 when the file cannot be loaded.")
    cc.add_argument("path", metavar="PATH", help="a .py file or a .ipynb notebook")
    cc.add_argument("--name", help="the function or class to check (default: found by its name or methods)")
    cc.add_argument("--activation", default="sigmoid", help="every layer's, or the hidden layers' with --output "
                                                            "(default sigmoid)")
    cc.add_argument("--output", help="the output layer's activation")
    cc.add_argument("--loss", default="half_sse", help="half_sse (default), sse, mse, bce or softmax_ce")
    cc.add_argument("--reduction", default="sum", choices=["sum", "mean"], help="over the batch (default sum)")
    cc.add_argument("--targets", choices=["one-hot", "soft", "labels"], help="labels: y as class indices")
    cc.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    cc.add_argument("--layout", choices=["rows", "columns", "vector"], help="state it (default: recognised)")
    cc.add_argument("--weight-shape", choices=["out_in", "in_out"], help="state it (default: recognised)")
    cc.add_argument("--bias", choices=["separate", "row", "augmented", "augmented_first", "none"],
                    help="state it (default: recognised among separate and row)")
    cc.add_argument("--max-examples", type=_positive_int, default=100, help="networks to check (default 100)")
    cc.add_argument("--seed", type=_nonneg_int, default=0, help="seed of the networks (default 0)")
    cc.add_argument("--timeout", type=_positive_float, default=30.0,
                    help="seconds the file's top level may run when loaded (default 30)")
    cc.add_argument("--json", action="store_true", help="print JSON instead of the report")
    ex = sub.add_parser("example", help="source 003's worked example, every number to 9 digits",
                        description="The 2-2-2 step-by-step example source 003 follows (Mazur's inputs, "
                                    "weights, biases, targets, learning rate 0.5), computed with BP1-BP4: "
                                    "activations, total error, every gradient and updated weight, next "
                                    "to the published figures. Exit status 1 if any disagrees.")
    _common(ex, plot=False, seed=False)
    tr = sub.add_parser("train", help="train xor, not, nand, digits or mnist; plot the curves",
                        description="Train one of the demo recipes (demos/recipes.py) with seeded SGD, "
                                    "print the cost and accuracy per epoch and plot them. digits is "
                                    "scikit-learn's bundled set (offline); mnist reads the four IDX files "
                                    "from --mnist-dir.")
    tr.add_argument("task", choices=["xor", "not", "nand", "digits", "mnist"])
    tr.add_argument("--epochs", type=_positive_int, help="override the recipe's epochs")
    tr.add_argument("--lr", type=_positive_float, help="override the recipe's learning rate")
    tr.add_argument("--batch-size", type=_positive_int, help="override the recipe's batch size")
    tr.add_argument("--mnist-dir", help="folder with train-images-idx3-ubyte[.gz] and the other three")
    _common(tr)
    de = sub.add_parser("descent", help="gradient descent on x^4 - 3x^3 + 2 (source 004)",
                        description="Gradient descent on f(x) = x^4 - 3x^3 + 2 from x = 4 with step 0.01 "
                                    "until x moves less than 1e-5 (source 004); the minimum is 9/4.")
    de.add_argument("--start", type=float, default=4.0, help="starting x (default 4)")
    de.add_argument("--step", type=_positive_float, default=0.01, help="step size (default 0.01)")
    de.add_argument("--precision", type=_positive_float, default=1e-5, help="stop when |dx| <= this (default 1e-5)")
    _common(de, seed=False)
    su = sub.add_parser("surface", help="quadratic vs cross-entropy cost surfaces of source 004's NOT net",
                        description="Plot the quadratic and cross-entropy costs of the one-input NOT "
                                    "network a = sigmoid(w1 + w2 x) over a grid of (w1, w2).")
    su.add_argument("--span", type=_positive_float, default=10.0, help="grid from -span to span (default 10)")
    _common(su, seed=False)
    so = sub.add_parser("source", help="run a corrected source's demo (000-004)",
                        description="Run the demo of one corrected source document: 000 trains the "
                                    "multi-layer net on its pattern table, 001 the 3-4-1 net for 1000 "
                                    "iterations, 002 the digits recipe, 003 prints the worked example, "
                                    "004 runs descent and trains its XOR net. Its errata are in "
                                    "derivations/source-00N.md.")
    so.add_argument("number", choices=["000", "001", "002", "003", "004"])
    _common(so, seed_default=None)
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["check", *argv]  # `backproof [options]` means `backproof check [options]`
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:                                   # Ctrl-C: one line, the shell's 130
        print(f"\nbackproof {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:                                     # `backproof ... | head`: the reader left
        _quiet_stdout()
        return 0
    except ArithmeticError as e:                                # an overflow: the numbers left float64
        print(f"backproof {args.command}: {_one_line(e)}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError, EOFError, zlib.error) as e:  # bad values and bad files:
        print(f"backproof {args.command}: {_one_line(e)}", file=sys.stderr)   # one line, exit 2
        return 2


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def _quiet_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so that Python's final flush is silent."""
    import os
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):   # not a file (stdout replaced in-process): nothing to flush there
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    except OSError:
        pass
    finally:
        os.close(devnull)


def _run(args) -> int:
    if args.command == "derivations":
        from .derivations import run_derivations
        return run_derivations(args)
    if args.command == "check-code":
        from .check_code import run_check_code
        return run_check_code(args)
    if args.command in ("example", "train", "descent", "surface", "source"):
        from . import demos
        return getattr(demos, f"run_{args.command}")(args)
    from .check import run_check  # imports torch: only the commands that need it pay for it
    return run_check(args)


def _common(p, plot: bool = True, seed: bool = True, seed_default: int | None = 0) -> None:
    """--json everywhere; --seed only where something is random, --plot only where a picture is drawn
    (argparse rejects a flag a subcommand does not take: exit 2, one line)."""
    if seed:
        p.add_argument("--seed", type=_nonneg_int, default=seed_default,
                       help="seed for every random choice" + (" (default 0)" if seed_default == 0 else
                                                                " (default: the demo's own)"))
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    if plot:
        p.add_argument("--plot", metavar="FILE", type=_picture,
                       help="where to write the picture: .png, .svg or .pdf (default plots/<command>.png)")


# Argument types: each message says what was expected in the user's words (argparse would
# otherwise name the function: "invalid _positive_int value").

def _positive_int(s: str) -> int:
    v = _number(int, s, "an integer >= 1")
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {s}")
    return v


def _positive_float(s: str) -> float:
    v = _number(float, s, "a finite number > 0")
    if not (v > 0 and v < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {s}")
    return v


def _nonneg_int(s: str) -> int:
    v = _number(int, s, "an integer >= 0")
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {s}")
    return v


def _number(kind, s: str, expected: str):
    try:
        return kind(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {s!r}") from None


PICTURES = (".png", ".svg", ".pdf")


def _picture(s: str) -> str:
    """A file name matplotlib writes as named (without a suffix it would add .png, and the report
    would name a file that is not there)."""
    from pathlib import Path
    if Path(s).suffix.lower() not in PICTURES:
        raise argparse.ArgumentTypeError(f"expected a file name ending in {', '.join(PICTURES)}, got {s!r}")
    return s


if __name__ == "__main__":
    sys.exit(main())
