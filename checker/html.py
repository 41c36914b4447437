"""The derivation documents as static HTML pages with their verdicts (`backproof derivations --html DIR`).

Each document becomes one page: its Markdown rendered by markdown-it-py, every formula converted to
MathML by latex2mathml (so a page needs no JavaScript and no network), and beside every displayed
equation the checker's verdict: a definition, proved, evaluated at N points, an erratum with its
counterexample, unchecked with its reason, or a failure; and the manual/ function it is tied to.
An index page lists the documents with their counts and the run's total line.

The documents are input, not trusted: raw HTML in them is shown as text, never passed through, and
markdown-it-py's link validation drops `javascript:` and similar links. Every address of the
site's own files comes from checker/site.py; an image is shown only when it is a figure this run
copied, and a remote one is never fetched (its text and address are shown).
"""
from __future__ import annotations

import html
import os
import unicodedata
import re
import urllib.parse
from pathlib import Path

from latex2mathml.converter import convert as _mathml

from .document import MARKDOWN, MAX_DOCUMENT, read_front_matter, read_text
from .errors import DocumentError, Location
from .files import Refused, check_path, read_bytes
from .site import STYLE, copy_figures, page_names, site_url
from .mathml import sanitize
from .results import LABELS as WORDS
from .results import DocReport, Outcome, capped, counts_text, plural, total_line

# How each status is shown: (CSS class, label: the text report's word).
CLASSES = {"definition": "definition", "proved": "proved", "checked": "checked", "expected-wrong": "erratum",
           "unchecked": "unchecked", "FAIL": "fail", "ERROR": "fail"}
LABELS = {status: (CLASSES[status], WORDS[status]) for status in CLASSES}

def write_html(reports: list[DocReport], out_dir: str | Path) -> list[Path]:
    """One page per document and an index.html in `out_dir` (created if missing); returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    reports = reading_order(reports)
    names = page_names(reports)
    pages = {Path(r.path).name: names[r.path] for r in reports}
    titles = {r.path: _title_of(r) for r in reports}   # each document read for its title once
    written, figures = [], set()
    for folder in sorted({Path(r.path).parent for r in reports if not r.refused}):
        copied = copy_figures(folder / "figures", out / "figures")
        written.extend(copied)
        figures |= {f"figures/{p.name}" for p in copied}
    for k, r in enumerate(reports):
        around = [(names[o.path], titles[o.path]) if o is not None else None
                  for o in (reports[k - 1] if k else None, reports[k + 1] if k + 1 < len(reports) else None)]
        written.append(out / names[r.path])
        written[-1].write_text(render_document(r, pages, around, figures), encoding="utf-8")
    for target in sorted({o.tie for r in reports for o in r.outcomes if o.tie}):
        uses = [(names[r.path], titles[r.path], o.where.line) for r in reports for o in r.outcomes if o.tie == target]
        written.append(out / code_page(target))
        written[-1].write_text(render_code(target, uses), encoding="utf-8")
    written.append(out / "index.html")
    written[-1].write_text(render_index(reports, names, titles), encoding="utf-8")
    return written


def code_page(target: str) -> str:
    """The page showing the manual/ function an equation implements: code-manual.network.x.html."""
    return "code-" + re.sub(r"[^\w.]", "", target.partition("[")[0]) + ".html"


def render_code(target: str, uses: list = ()) -> str:
    """The source of the function `target` names (its module, its line), as the equation's reader
    needs it: the code the checker ran against the equation; and a link back to each equation tied
    to it (`uses`: (page name, document title, line))."""
    import importlib
    import inspect

    from .ties import ADAPTERS
    name = target.partition("[")[0]
    try:
        if "backproof." + name not in ADAPTERS:   # never import what a document names (__main__ would run)
            raise ValueError("not a function of the backprop that an equation can be tied to")
        module, _, attr = ("backproof." + name).rpartition(".")
        fn = getattr(importlib.import_module(module), attr)
        lines, first = inspect.getsourcelines(fn)
        where = f"{module.removeprefix('backproof.').replace('.', '/')}.py, line {first}"
        body = f"<p><code>{html.escape(where)}</code></p><pre>{html.escape(''.join(lines))}</pre>"
    except (ImportError, AttributeError, OSError, TypeError, ValueError) as e:
        body = f"<p>The source of <code>{html.escape(name)}</code> cannot be shown: {html.escape(str(e))}</p>"
    return _page(name, f'<nav class="pager"><span></span><a href="{site_url("index.html")}">all documents</a><span></span></nav>'
                       f"<h1><code>{html.escape(name)}</code></h1>"
                       "<p>The function of <code>manual/</code> that the equations marked <em>implements</em> "
                       "are run against: on every random instance, its result must equal the equation's "
                       "last side.</p>" + _back_links(uses) + body)


def _back_links(uses) -> str:
    items = "".join(f'<li><a href="{site_url(page)}#line-{line}">{title_html(title)}, line {line}</a></li>'
                    for page, title, line in uses)
    return f"<p>The equations tied to it:</p><ul>{items}</ul>" if items else ""


def reading_order(reports: list[DocReport]) -> list[DocReport]:
    """The documents in the order a learner reads them: the order a folder's README.md links them
    in (derivations/README.md's table), then the others by name."""
    order: dict = {}
    for r in reports:
        folder = Path(r.path).parent
        if folder not in order:
            readme = folder / "README.md"
            try:   # through the one door: inside the folder, a regular file, bounded
                text = read_bytes(readme, MAX_DOCUMENT, inside=folder).decode("utf-8") \
                    if os.path.lexists(readme) else ""
            except (OSError, UnicodeDecodeError):
                text = ""
            links = re.findall(r"\]\(([^()#\s]+\.md)\)", text)
            order[folder] = {name: i for i, name in reversed(list(enumerate(links)))}
    return sorted(reports, key=lambda r: (str(Path(r.path).parent),
                                          order[Path(r.path).parent].get(Path(r.path).name, len(reports)),
                                          Path(r.path).name))


def _title_of(r: DocReport) -> str:
    return _title(MARKDOWN.parse(_text(r))) or Path(r.path).name


def title_html(title: str) -> str:
    """A title as the page shows its headings: Markdown inline, its $...$ as MathML (the index and
    the previous/next links show δ^L = a − y as a formula, not as its TeX), anything else escaped."""
    return _RENDERER.render(MARKDOWN.parseInline(title), MARKDOWN.options, {"pages": {}, "outcomes": []})


def title_text(title: str) -> str:
    """The same title as plain text, for the browser's tab: $\\delta^L$ as δ^L."""
    def letter(m):
        try:
            return unicodedata.lookup(f"GREEK {'CAPITAL' if m[1][0].isupper() else 'SMALL'} LETTER {m[1].upper()}")
        except KeyError:
            return m[1]
    return re.sub(r"\\([A-Za-z]+)\s*", letter, title.replace("$", ""))


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title_text(title))}</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n")


def math(tex: str, display: bool) -> str:
    """MathML for `tex`; the TeX itself, marked, when latex2mathml cannot convert it."""
    body = tex.strip()
    if "\\\\" in body and "\\begin" not in body:
        body = "\\begin{aligned}" + body + "\\end{aligned}"
    try:
        return sanitize(_typeset(_mathml(body, display="block" if display else "inline")))
    except Exception:  # noqa: BLE001 - any converter failure shows the source instead of a broken page
        return f'<code class="tex" title="not converted to MathML">{html.escape(tex)}</code>'


def _typeset(markup: str) -> str:
    """Two fixes to latex2mathml's output, before it is sanitized: a prime is set beside its symbol
    at full size (f′, not a superscript of a superscript), and a subscript of three letters or more
    is one upright word (E_total, not the product t·o·t·a·l)."""
    markup = re.sub(r"<msup>(<mi[^>]*>[^<]*</mi>|<mrow>(?:<mi[^>]*>[^<]*</mi>)+</mrow>)"
                    r"<mi>((?:&#x0203[234];|[′″‴])+)</mi></msup>", r'<mrow>\1<mo lspace="0" rspace="0">\2</mo></mrow>',
                    markup)
    # norm and absolute-value bars at the text's height: stretched, the closing one of ‖a − y‖²
    # (inside its power) and the opening one (beside a fraction) would differ
    markup = re.sub(r"<mo>(&#x02016;|‖|&#x0007C;|\|)</mo>", r'<mo stretchy="false" lspace="0" rspace="0">\1</mo>',
                    markup)
    return re.sub(r"<msub>(<mi>[^<]*</mi>)<mrow>((?:<mi>[A-Za-z]</mi>){3,})</mrow></msub>",
                  lambda m: f'<msub>{m.group(1)}<mi mathvariant="normal">'
                            f'{"".join(re.findall(r"<mi>([A-Za-z])</mi>", m.group(2)))}</mi></msub>', markup)


def render_document(report: DocReport, pages: dict | None = None, around=(None, None),
                    figures: frozenset | set = frozenset()) -> str:
    """The document's page. `pages` maps document file names to page names, for links between them;
    `around` is (page name, title) of the previous and the next document in reading order, or None;
    `figures` names the figures copied into the site ("figures/network.png"), the only images shown."""
    name = Path(report.path).name
    text = _text(report)
    tokens = MARKDOWN.parse(text) if text else []
    title = _title(tokens) or name
    env = {"outcomes": report.outcomes, "pages": pages or {}, "figures": figures}
    c = report.counts
    banner = (f'<div class="banner {"ok" if report.ok else "bad"}"><code>{html.escape(name)}</code>: '
              f"{html.escape(counts_text(c))}, {plural(c['FAIL'] + c['ERROR'], 'failure')}. "
              + (f"<br>ERROR {html.escape(capped(report.error))}" if report.error else "") + "</div>")
    banner += "".join(f'<div class="banner warn">{html.escape(w)}</div>' for w in report.warnings)
    withheld = _unpublished(report)
    if withheld:
        banner += f'<div class="banner warn">its text is not shown: it {html.escape(withheld)}</div>'
    body = _RENDERER.render(tokens, MARKDOWN.options, env) if tokens else ""
    nav = _pager(around)
    return _page(title, nav + banner + body + nav)


def _pager(around) -> str:
    """Previous · all documents · next."""
    before, after = around
    parts = [f'<a rel="prev" href="{site_url(before[0])}">← {title_html(before[1])}</a>' if before else "<span></span>",
             f'<a href="{site_url("index.html")}">all documents</a>',
             f'<a rel="next" href="{site_url(after[0])}">{title_html(after[1])} →</a>' if after else "<span></span>"]
    return f'<nav class="pager">{"".join(parts)}</nav>'



def _text(report: DocReport) -> str:
    """The document's text, if the checker read it and a page may show it (a refused link, an
    oversized file, a file with a second hard link, whose other name may be outside: nothing)."""
    if report.refused or _unpublished(report):
        return ""
    try:   # through the one door, as the checker read it
        return read_text(report.path)
    except DocumentError:
        return ""


def _unpublished(report: DocReport) -> str:
    """Why the document's text is not published, or "": a second hard link (checker/files.py's
    rule for the site; its status only, nothing read)."""
    try:
        links = check_path(report.path, MAX_DOCUMENT, Path(report.path).parent).st_nlink
    except Refused:
        return ""   # not read at all: the checker's error says why
    return f"has {links} hard links (a second name may be a file from outside the folder)" if links > 1 else ""


def _title(tokens) -> str | None:
    """The front matter's `title:` (YAML, as the checker reads it), if there is one."""
    front = next((t for t in tokens if t.type == "front_matter"), None)
    try:
        data = read_front_matter(front.content, Location("")) if front is not None else None
    except DocumentError:
        return None
    title = data.get("title") if isinstance(data, dict) else None
    return str(title) if title is not None else None


def _verdicts(outcomes: list[Outcome]) -> tuple[str, str]:
    """(the CSS class of the worst outcome, the verdict panel) for the rows of one equation."""
    if not outcomes:
        return "unchecked", '<div class="verdict"><span class="label">not read by the checker</span></div>'
    order = ["FAIL", "ERROR", "expected-wrong", "unchecked", "checked", "proved", "definition"]
    worst = min(outcomes, key=lambda o: order.index(o.status)).status
    parts = []
    for o in outcomes:
        line = f'<span class="label">{html.escape(LABELS[o.status][1])}</span>'
        if o.status in ("checked", "proved") and o.evaluations:
            line += f" at {o.evaluations} points" if o.status == "checked" else \
                f" exactly {o.proof_scope.removeprefix('proved').strip()}; evaluated at {o.evaluations} points"
        line += f' <span class="where">(line {o.where.line})</span>'
        if o.tie:
            line += f'<br>implements <a href="{site_url(code_page(o.tie))}"><code>{html.escape(o.tie)}</code></a>'
        detail = capped(o.detail.strip())
        if o.status == "unchecked":
            line += f"<br>{prose(detail)}"
        elif o.status == "expected-wrong":
            why, _, rest = detail.partition("\n")
            line += (f"<br>{prose(why)}<details><summary>counterexample</summary>"
                     f"<pre>{html.escape(rest)}</pre></details>")
        elif detail:
            line += f"<details><summary>details</summary><pre>{html.escape(detail)}</pre></details>"
        if o.note.startswith("not proved for every width"):
            line += (f"<details><summary>why not for every width</summary><pre>{html.escape(capped(o.note))}"
                     "</pre></details>")
        elif o.note:
            line += f'<br><span class="note">{prose(o.note)}</span>'
        if o.rules:
            line += (f"<details><summary>rules of the proof; also evaluated at {len(o.against)} sizes</summary>"
                     f"<p>{html.escape(', '.join(o.rules))} (each rule and its side condition: "
                     "derivations/README.md)</p><p>also evaluated, independently of the proof, at "
                     f"{html.escape(', '.join(o.against))}</p></details>")
        parts.append(f"<div>{line}</div>")
    return LABELS[worst][0], f'<div class="verdict">{"".join(parts)}</div>'


def prose(text: str) -> str:
    """A marker's reason as HTML: escaped, its plain-text powers and subscripts raised and lowered
    (w^{l+1} → w<sup>l+1</sup>, v^2, x_{ij}), so a reader does not meet raw LaTeX in a verdict."""
    out = html.escape(text)
    for mark, tag in (("^", "sup"), ("_", "sub")):
        out = re.sub(rf"(?<=[\w)\]])\{mark}\{{([^{{}}]{{1,20}})\}}", rf"<{tag}>\1</{tag}>", out)
        out = re.sub(rf"(?<=[\w)\]])\{mark}([A-Za-z0-9])(?![\w{{])", rf"<{tag}>\1</{tag}>", out)
    return out


def _display(self, tokens, idx, options, env) -> str:
    tok = tokens[idx]
    first, last = tok.map[0] + 1, tok.map[1]
    mine = [o for o in env["outcomes"] if first <= o.where.line <= last]
    cls, panel = _verdicts(mine)
    tex, tags = _tags(tok.content)
    tag = "".join(f'<span class="tag">({html.escape(t)})</span>' for t in tags)
    anchors = "".join(f'<span id="line-{n}"></span>' for n in sorted({o.where.line for o in mine} - {first}))
    return (f'<div class="eq {cls}" id="line-{first}">{anchors}<div class="formula">{math(tex, True)}{tag}</div>'
            f"{panel}</div>\n")


def _tags(tex: str) -> tuple[str, list[str]]:
    """The formula without its \\tag{...}s, and the tags: set apart at the right of the formula, as
    an equation number is (latex2mathml would glue "(BP1)" to the last symbol)."""
    tags = re.findall(r"\\tag\*?\{([^{}]*)\}", tex)
    return re.sub(r"\\tag\*?\{[^{}]*\}", "", tex), tags


def _fence(self, tokens, idx, options, env) -> str:
    """A ```math block is an equation the checker read (as GitHub shows it); other fences are code."""
    if tokens[idx].info.strip().lower() == "math":
        return _display(self, tokens, idx, options, env)
    return type(self).fence(self, tokens, idx, options, env)


def _inline_math(self, tokens, idx, options, env) -> str:
    return math(tokens[idx].content, False)


def _raw_html(self, tokens, idx, options, env) -> str:
    content = tokens[idx].content
    if content.lstrip().startswith("<!--"):   # comments (the check markers among them) are not shown
        return ""
    return html.escape(content)


def _front_matter(self, tokens, idx, options, env) -> str:
    return ""


def safe_url(url: str) -> bool:
    """A link or image address a page may hold: relative (no scheme), or http(s)."""
    scheme = url.split("#")[0].split("?")[0].split("/")[0]
    return ":" not in scheme or scheme.lower() in ("http:", "https:")


def _link_open(self, tokens, idx, options, env) -> str:
    tok = tokens[idx]
    href = tok.attrGet("href") or ""
    if not safe_url(href):   # javascript:, data:, file:, ... : the text stays, the link goes
        tok.attrs.pop("href", None)
        return "<a>"
    relative = ":" not in href.split("#")[0] and not href.startswith(("/", "#"))   # not https://..., /x.md
    target = env["pages"].get(Path(href.split("#")[0]).name) if relative else None
    if target:
        fragment = urllib.parse.quote(href.split("#", 1)[1], safe="") if "#" in href else ""
        tok.attrSet("href", site_url(target) + (f"#{fragment}" if fragment else ""))
    return self.renderToken(tokens, idx, options, env)


def _image(self, tokens, idx, options, env) -> str:
    """A figure this run copied, by the site's own address; anything else (a remote image, which
    would make the page fetch from the network; a file that was not copied) as its text and
    address, never loaded."""
    tok = tokens[idx]
    src = tok.attrGet("src") or ""
    name = "figures/" + Path(urllib.parse.unquote(src)).name if src.startswith("figures/") else None
    if name is not None and name in env.get("figures", ()):
        tok.attrSet("src", site_url(name))
        return type(self).image(self, tokens, idx, options, env)
    why = "a remote image, not fetched" if re.match(r"^([a-z][a-z0-9+.-]*:|//)", src, re.I) else \
        "an image that is not a figure of this folder (figures/*.png, .jpg, .gif), not shown"
    return (f'<span class="note">[{html.escape(tok.content or "image")}: {why}: '
            f"<code>{html.escape(src)}</code>]</span>")


_RENDERER = type(MARKDOWN.renderer)()
for _name, _rule in {"math_block": _display, "math_block_label": _display, "amsmath": _display,
                     "math_inline": _inline_math, "math_inline_double": _inline_math,
                     "html_block": _raw_html, "html_inline": _raw_html, "front_matter": _front_matter,
                     "link_open": _link_open, "image": _image, "fence": _fence}.items():
    _RENDERER.rules[_name] = _rule.__get__(_RENDERER)


def render_index(reports: list[DocReport], names: dict | None = None, titles: dict | None = None) -> str:
    """The documents in reading order, with their counts (`names` and `titles` by path, when the
    caller has them)."""
    reports = reading_order(reports)
    names = names or page_names(reports)
    titles = titles or {r.path: _title_of(r) for r in reports}
    rows = []
    for r in reports:
        c = r.counts
        status = "error" if r.error else "ok" if r.ok else "FAILED"
        rows.append(f'<tr><td class="n">{len(rows) + 1}</td><td><a href="{site_url(names[r.path])}">'
                    f"{title_html(titles[r.path])}</a><br><code>{html.escape(Path(r.path).name)}</code></td>"
                    + "".join(f'<td class="n">{v}</td>' for v in
                              (c["proved"], c["checked"], c["expected-wrong"], c["unchecked"],
                               c["definition"], c["FAIL"] + c["ERROR"]))
                    + f"<td>{status}</td></tr>")
    body = ("<h1>backproof: the derivation documents, checked</h1>"
            "<p>Every displayed equation was read by <code>backproof derivations</code>: definitions "
            "introduce symbols; every other equation is a claim evaluated to 50 digits on random networks "
            "and, where SymPy can, proved exactly; an erratum must be shown wrong by a counterexample.</p>"
            "<p>In reading order:</p>"
            '<table class="index"><thead><tr><th></th><th>document</th><th>proved</th><th>evaluated only</th>'
            "<th>errata</th><th>unchecked</th><th>definitions</th><th>failures</th><th>verdict</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>"
            f'<p class="banner {"ok" if all(r.ok for r in reports) else "bad"}">'
            f"{html.escape(total_line(reports))}</p>")
    return _page("backproof derivations", body)
