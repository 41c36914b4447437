"""Many documents: each checked on its own (checker/check.py), side by side in forked children, or
read back from the cache when nothing it depends on has changed. `check_documents` is the entry point.
"""
from __future__ import annotations

import os
from pathlib import Path

from .cache import folder as cache_folder, key as cache_key, load as cache_load, store as cache_store
from .check import check_document
from .document import work_estimate
from .errors import Location, shown
from .parallel import forked
from .results import DocReport


def check_documents(paths, *, prove: bool = True, seed: int | None = None, on_document=None,
                    jobs: int | None = None, cache: bool = False) -> list[DocReport]:
    """Check every document (a directory means its *.md files except README.md); `seed` replaces
    each document's own seed (other random points, same verdicts). Documents are independent, so
    up to `jobs` (default: one per CPU) are checked side by side in forked processes; the reports
    come back in the order of the paths, the same whatever the number of jobs. With `cache`, a
    document whose content, settings, checker and libraries are unchanged is read back from the
    cache (checker/cache.py) instead of being checked again."""
    docs, refused = expand_paths(paths)
    reports: list = [DocReport(str(p), error=f"{Location(str(p)).at_line()}: {refused[p]}", refused=True)
                     if p in refused else None for p in docs]
    where = cache_folder() if cache else None
    keys = [None if p in refused else cache_key(p, prove, seed) for p in docs] if where else []
    for i, k in enumerate(keys):
        if reports[i] is not None:
            continue
        reports[i] = cache_load(where, k, str(docs[i]))
        if reports[i] is not None and on_document:
            on_document(reports[i])
    todo = [i for i, r in enumerate(reports) if r is None]
    jobs = min(jobs or os.cpu_count() or 1, len(todo))
    check = lambda path: check_document(path, prove=prove, seed=seed)  # noqa: E731
    if jobs <= 1 or not hasattr(os, "fork"):
        done = ((i, check(docs[i]), None) for i in todo)
    else:  # the most work first: the slowest would finish last otherwise
        done = forked(docs, sorted(todo, key=lambda i: -work_estimate(docs[i])), jobs, check)
    for i, report, exitcode in done:
        if exitcode is not None:
            report = DocReport(str(docs[i]), error=f"{Location(str(docs[i])).at_line()}: the checking process died "
                                                   f"(exit code {exitcode})")
        elif where:
            cache_store(where, keys[i], report)
        reports[i] = report
        if on_document:
            on_document(report)
    return reports


def expand_paths(paths) -> tuple[list[Path], dict]:
    """(the documents, {document: why it is not read}). A folder means its *.md files but README.md;
    a symbolic link in it that leads out of the folder is listed and refused, never read (a link to
    /etc/passwd would otherwise be published by --html)."""
    out, refused = [], {}
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.glob("*.md") if q.name != "README.md")
            if not found:
                raise FileNotFoundError(f"paths: {p} has no document (*.md other than README.md)")
            inside = p.resolve()
            for q in found:
                if q.is_symlink() and not Path(os.path.realpath(q)).is_relative_to(inside):   # a loop: the door says
                    refused[q] = (f"a symbolic link to a file outside {shown(str(p))}: not read (name the file "
                                  "itself to check it)")
            out.extend(found)
        elif os.path.lexists(p):   # a file, or what the one door (checker/files.py) refuses with its reason
            out.append(p)
        else:
            raise FileNotFoundError(f"paths: {p} does not exist")
    return out, refused
