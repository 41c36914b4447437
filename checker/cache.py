"""A document's report, remembered by content: the same document, seed, proof setting, checker and
libraries give the same report (the checker is deterministic: no clock, seeded points, a proof
budget in operations), so `backproof derivations` reads it back instead of checking again.

The key is a SHA-256 of everything the report can depend on: the document's bytes and path (the
report names it), the seed and proof settings, the source of every module of backproof.checker,
backproof.manual (the ties run it) and backproof.reference (tolerances, the evaluator), and the
versions of Python and of each library the checker uses. Change any of them and the entry is not
found. Entries are JSON (never pickle: a cache folder must not be a way to run code), written
atomically; an unreadable entry is ignored and the document checked again. An entry is as
trustworthy as its folder: whoever can write there can write a verdict, so the default folder is
the user's own.

The folder is $BACKPROOF_CACHE_DIR, else $XDG_CACHE_HOME/backproof/derivations, else
~/.cache/backproof/derivations; BACKPROOF_NO_CACHE=1 or `--no-cache` turns the cache off.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from importlib import metadata
from pathlib import Path

from .document import MAX_DOCUMENT
from .files import Refused, read_bytes
from .errors import Location
from .results import DocReport, Outcome

FORMAT = 4   # 3: outcomes carry their proof's scope; 4: and its note (proofs for every width)
LIBRARIES = ("sympy", "mpmath", "symengine", "numpy", "lark", "markdown-it-py", "mdit-py-plugins", "PyYAML")


def folder() -> Path | None:
    """Where entries live, or None when the cache is off."""
    if os.environ.get("BACKPROOF_NO_CACHE", "") not in ("", "0"):
        return None
    if os.environ.get("BACKPROOF_CACHE_DIR"):
        return Path(os.environ["BACKPROOF_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "backproof" / "derivations"


@functools.lru_cache(maxsize=1)
def _code() -> str:
    """The checker's, manual/'s and reference/'s sources and the libraries' versions, hashed."""
    from backproof import checker, manual, reference
    h = hashlib.sha256(f"{FORMAT}|{sys.version}".encode())
    for name in LIBRARIES:
        try:
            h.update(f"|{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"|{name}=none".encode())
    for package in (checker, manual, reference):
        root = Path(package.__path__[0])
        for path in sorted(root.glob("*.py")):
            h.update(f"|{package.__name__}/{path.name}|".encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def key(path: Path, prove: bool, seed: int | None) -> str:
    """The entry's name: the code, the settings and the document's real path and content (the
    real path, so the same document named from another folder is the same entry)."""
    h = hashlib.sha256(_code().encode())
    h.update(f"|{os.path.realpath(path)}|{prove}|{seed}|".encode())
    try:   # through the checker's one door: a FIFO or a huge file is refused, never read here
        h.update(read_bytes(path, MAX_DOCUMENT))
    except Refused as e:
        h.update(f"|refused: {e.strerror}".encode())
    return h.hexdigest()


def load(where: Path, k: str, path: str | None = None) -> DocReport | None:
    """The stored report, its document's path (in every message) written as `path` now names it."""
    try:
        data = json.loads((where / f"{k}.json").read_text(encoding="utf-8"))
        old = data["path"]
        if path is not None and path != old:
            data = json.loads(json.dumps(data).replace(json.dumps(old)[1:-1], json.dumps(path)[1:-1]))
        outcomes = [Outcome(**{**o, "where": Location(**o["where"])}) for o in data["outcomes"]]
        report = DocReport(data["path"], outcomes, data["error"], list(data["warnings"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return report


def store(where: Path, k: str, report: DocReport) -> None:
    """Remember the report; a folder that cannot be written only means no cache."""
    data = {"path": report.path, "error": report.error, "warnings": report.warnings,
            "outcomes": [{**vars(o), "where": vars(o.where)} for o in report.outcomes]}
    try:
        where.mkdir(parents=True, exist_ok=True)
        tmp = where / f"{k}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, where / f"{k}.json")
    except OSError:
        pass
