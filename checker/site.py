"""What a site of pages holds, apart from the pages' content (checker/html.py): the file names it
chooses, the one builder of every address it writes, and the figures it copies.

Every href and src a page holds for a file of the site is `site_url(name)` of a name chosen here
(`page_names`: letters, digits, `.`, `_`, `-` only; the index's name never taken), relative and
percent-encoded, so no document's file name can become a scheme or a host. A figure is copied
through the one door (checker/files.py): a regular file inside the folder with one hard link, at
most MAX_FIGURE bytes, a raster image by its first bytes (an SVG can carry a script: never copied).
"""
from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

from .files import Refused, publishable
from .report import DocReport

MAX_FIGURE = 5_000_000      # bytes: the shipped network figure has about 60,000
RASTER = {b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg", b"GIF87a": ".gif", b"GIF89a": ".gif"}


def site_url(name: str) -> str:
    """The one builder of every href and src the site writes: a file it wrote itself ("x.html",
    "figures/network.png"), as a relative address whose every segment is percent-encoded (so
    `javascript:x.html` would be ./javascript%3Ax.html: a file, never a scheme)."""
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"site_url: {name!r} is not a file of the site")
    return "./" + "/".join(urllib.parse.quote(p, safe="") for p in parts)


def page_names(reports: list[DocReport]) -> dict:
    """{document path: its page's file name}: the document's name with .html, made unique (two
    folders' x.md, and a document named index.md, which would be the index page, get -2, -3...)."""
    taken, names = {"index.html"}, {}
    for r in reports:
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(r.path).stem).strip(".-") or "document"
        if stem.startswith("code-"):   # the code pages' prefix (code_page)
            stem = "doc-" + stem
        name, k = f"{stem}.html", 1
        while name in taken:
            k += 1
            name = f"{stem}-{k}.html"
        taken.add(name)
        names[r.path] = name
    return names


def copy_figures(source: Path, target: Path) -> list[Path]:
    """The pictures the documents show (derivations/figures/*.png): through the one door
    (checker/files.py: a regular file inside the folder, one hard link, at most MAX_FIGURE bytes),
    a raster image by its first bytes (PNG, JPEG, GIF; an SVG can carry a script, so none is
    copied), under a name the site can address. Anything else is left out, and a page that shows
    it shows its text instead."""
    if not source.is_dir() or source.is_symlink():
        return []
    copied = []
    for f in sorted(source.iterdir()):
        if not re.fullmatch(r"[\w.-]+", f.name) or f.suffix.lower() not in (".png", ".jpg", ".jpeg", ".gif"):
            continue
        try:
            data = publishable(f, MAX_FIGURE, inside=source)
        except Refused:
            continue
        if not any(data.startswith(magic) for magic in RASTER):
            continue
        target.mkdir(parents=True, exist_ok=True)
        copied.append(target / f.name)
        copied[-1].write_bytes(data)
    return copied
