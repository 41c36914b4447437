"""`backproof derivations`: check the derivation documents and print the report."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from backproof.checker.run import check_documents, expand_paths
from backproof.checker.results import as_json, render

from .progress import progress

# The shipped documents: beside the checker package, in a checkout (derivations/) and in an
# installed wheel (backproof/derivations/) alike.
DERIVATIONS = Path(__file__).resolve().parents[1] / "derivations"
if not DERIVATIONS.is_dir():
    import backproof.checker
    DERIVATIONS = Path(backproof.checker.__file__).resolve().parents[1] / "derivations"


def run_derivations(args) -> int:
    default = DERIVATIONS if DERIVATIONS.is_dir() else Path("derivations")
    if default.is_absolute() and default.is_relative_to(Path.cwd()):
        default = default.relative_to(Path.cwd())
    paths = args.paths or [default]
    start = time.monotonic()
    if args.html:  # before the checking, so a bad folder costs no wait
        try:
            Path(args.html).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            print(f"backproof derivations: --html: cannot create the folder {args.html}: "
                  f"{e.strerror or e}", file=sys.stderr)
            return 2
    try:
        documents, _ = expand_paths(paths)
        with progress(len(documents), "checking documents", quiet=args.json) as advance:
            reports = check_documents(paths, prove=not args.no_prove, seed=args.seed, cache=not args.no_cache,
                                      on_document=lambda r: advance())
    except FileNotFoundError as e:
        print(f"backproof derivations: {e}", file=sys.stderr)
        return 2
    if args.html:
        from backproof.checker.html import write_html
        written = write_html(reports, args.html)
        pages = sum(p.suffix == ".html" for p in written)
        print(f"wrote {pages} pages to {args.html} (open {written[-1]})", file=sys.stderr)
    print(json.dumps(as_json(reports), indent=2) if args.json else wrapped(render(reports, verbose=args.verbose)))
    if not args.json:  # on stderr: stdout is the same for the same documents and seed
        print(f"checked in {time.monotonic() - start:.1f} s", file=sys.stderr)
    return 0 if all(r.ok for r in reports) else 1


def wrapped(text: str) -> str:
    """The report with each line longer than the terminal broken between words (continuations
    indented), when the output is a terminal; piped or redirected, lines stay whole for grep. A line
    whose first two words (ERROR and its file:line:column) do not fit is left whole too."""
    import shutil
    import textwrap
    if not sys.stdout.isatty():
        return text
    width = max(40, shutil.get_terminal_size().columns)
    return "\n".join(textwrap.fill(line, width, subsequent_indent=" " * (4 + len(line) - len(line.lstrip())),
                                    break_long_words=False, break_on_hyphens=False)
                      if len(line) > width and len(" ".join(line.split()[:2])) < width else line
                      for line in text.splitlines())
