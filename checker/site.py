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
from .results import DocReport

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


# The one style sheet of every page (inline in each: a page needs no other file, and no network).
STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 64rem; margin: 2rem auto; padding: 0 1rem;
       color: #1d1d1f; }
h1, h2, h3 { line-height: 1.2; }
code { background: #f3f3f5; padding: 0 .2em; border-radius: 3px; }
pre { background: #f6f6f8; padding: .5rem; overflow-x: auto; font-size: 13px; }
.eq { margin: .8rem 0; padding: .4rem .6rem; border-left: 4px solid #ccc; background: #fafafa; }
/* The formula has the full width, the verdict goes under it. A formula wider than the page scrolls
   sideways; padding holds a superscript's ink (the T of a transpose) inside the box, which
   tests/checker/test_html.py measures in chromium. */
.eq .formula { display: flex; align-items: center; gap: 1.5rem; overflow-x: auto; padding: .6em .2em; }
.eq .formula math[display=block] { font-size: 1.1em; margin: 0 auto; padding: .15em 0; }
/* a font with the stretched variants of braces and brackets (the cases brace, tall parentheses) */
math { font-family: "Latin Modern Math", "STIX Two Math", "DejaVu Math TeX Gyre", "Cambria Math", math; }
.eq .formula .tag { color: #555; white-space: nowrap; }
.verdict { font-size: 13px; border-top: 1px solid #e6e6e6; margin-top: .3rem; padding-top: .3rem; }
.verdict pre { white-space: pre-wrap; overflow-wrap: anywhere; }
.verdict .label { font-weight: 600; }
.verdict details { margin-top: .2rem; }
.eq.proved, .eq.checked { border-color: #2e7d32; }
.eq.proved .label, .eq.checked .label { color: #2e7d32; }
.eq.erratum { border-color: #c77700; background: #fff8ec; }
.eq.erratum .label { color: #a35f00; }
.eq.fail { border-color: #c62828; background: #fdecec; }
.eq.fail .label { color: #c62828; }
.eq.definition .label, .eq.unchecked .label { color: #555; }
.banner { padding: .5rem .8rem; border-radius: 4px; margin: 1rem 0; }
.banner.ok { background: #e8f5e9; } .banner.bad { background: #fdecec; } .banner.warn { background: #fff8ec; }
.tex { color: #c62828; }
img { max-width: 100%; height: auto; display: block; margin: 1rem auto; }
.pager { display: flex; justify-content: space-between; align-items: baseline; gap: 1rem; font-size: 14px;
         margin: 1rem 0; }
.pager > * { flex: 1 1 0; } .pager > :nth-child(2) { flex: 0 0 auto; white-space: nowrap; }
.pager > :last-child { text-align: right; }
table { border-collapse: collapse; } td, th { padding: .25rem .6rem; border-bottom: 1px solid #ddd; }
td code { font-size: 13px; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
/* the index fits an 800 px window without scrolling sideways: narrow counts, headers that wrap */
table.index { width: 100%; } table.index th { font-size: 12px; vertical-align: bottom; }
table.index td, table.index th { padding: .25rem .35rem; } table.index td { overflow-wrap: anywhere; }
table.index td:nth-child(2) { min-width: 10rem; }
"""
