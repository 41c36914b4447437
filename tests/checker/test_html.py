"""The derivation documents as HTML (`backproof derivations --html DIR`): one page per document with a
verdict beside each displayed equation, an index, hostile documents shown as text; and the pages
rendered in a real headless browser (skipped with a reason where chromium is not installed)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from backproof.checker.check import check_document
from backproof.checker.html import math, render_document, write_html
from backproof.cli.main import main

HEADER = """---
title: A small document
checker:
  sizes: [[2, 3]]
  symbols:
    t: {}
    C: {}
---
"""


def _page(tmp_path, body: str) -> str:
    doc = tmp_path / "doc.md"
    doc.write_text(HEADER + body)
    return render_document(check_document(doc))


def test_every_displayed_equation_of_the_shipped_documents_has_its_verdict(reports, tmp_path):
    written = write_html(list(reports.values()), tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written if p.suffix != ".html"] == ["figures/network.png"]
    written = [p for p in written if p.suffix == ".html"]
    documents = {p.name for p in written if not p.name.startswith("code-")}
    assert documents == {Path(n).stem + ".html" for n in reports} | {"index.html"}
    assert {p.name for p in written} - documents == {f"code-{o.tie.partition('[')[0]}.html"
                                                     for r in reports.values() for o in r.outcomes if o.tie}
    for name, report in reports.items():
        page = (tmp_path / (Path(name).stem + ".html")).read_text()
        text = Path(report.path).read_text()
        assert page.count('<div class="eq ') == text.count("\n$$\n") // 2 + text.startswith("$$"), name
        assert 'class="tex"' not in page, f"{name}: a formula was not converted to MathML"
        assert "not read by the checker" not in page, name
        assert page.count("<details><summary>counterexample") == report.counts["expected-wrong"], name
        for o in report.outcomes:
            if o.tie:
                assert f"<code>{o.tie}</code></a>" in page, (name, o.where)
    index = (tmp_path / "index.html").read_text()
    assert all(f'href="./{Path(n).stem}.html"' in index for n in reports)
    assert "total: 9 documents" in index and "0 failed" in index


def test_a_page_shows_each_kind_of_verdict(tmp_path):
    page = _page(tmp_path, r"""
<!-- check: definition -->
$$
C = \frac{1}{2} t^2
$$

<!-- check: wrong — the factor 1/2 is missing -->
$$
C = t^2
$$

$$
\frac{\partial C}{\partial t} = t
$$

<!-- check: unchecked — a remark in words -->
$$
C = C
$$
""")
    assert re.search(r'class="eq definition".*?definition', page, re.S)
    assert re.search(r'class="eq erratum".*?the factor 1/2 is missing.*?counterexample.*?left side', page, re.S)
    assert re.search(r'class="eq (proved|checked)".*?(proved|evaluated).*?at 3 points', page, re.S)
    assert re.search(r'class="eq unchecked".*?a remark in words', page, re.S)
    assert "<!--" not in page  # the check markers are not shown as text


def test_the_page_title_is_the_front_matter_title_read_as_yaml(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(HEADER.replace("title: A small document", 'title: "Why \\"δ\\" comes first"  # a comment')
                   + "\n$$\nt = t\n$$\n")
    assert "<title>Why &quot;δ&quot; comes first</title>" in render_document(check_document(doc))


def test_a_failed_claim_is_marked_failed_with_its_details(tmp_path):
    page = _page(tmp_path, "\n$$\nt^2 = 2 t\n$$\n")
    assert re.search(r'class="eq fail".*?FAIL.*?side 1 and side 2 differ', page, re.S)
    assert 'class="banner bad"' in page


def test_raw_html_and_script_links_in_a_document_are_shown_as_text(tmp_path):
    page = _page(tmp_path, "\n<script>alert(1)</script>\n\nsee [x](javascript:alert(1)) and "
                           "<img src=x onerror=alert(1)>\n\n$$\nt = t\n$$\n")
    assert "<script>alert" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript' not in page


def test_links_to_other_documents_point_to_their_pages(tmp_path, reports):
    doc = tmp_path / "doc.md"
    doc.write_text(HEADER + "\nSee [BP1](backprop.md#bp1), [the web](https://example.org/a.md) and "
                            "[a mirror](https://example.org/backprop.md).\n\n"
                            "$$\nt = t\n$$\n")
    page = render_document(check_document(doc), {"backprop.md": "backprop.html"})
    assert 'href="./backprop.html#bp1"' in page
    assert 'href="https://example.org/a.md"' in page   # not one of the documents: left alone
    assert 'href="https://example.org/backprop.md"' in page   # another site's file of the same name too


def test_a_formula_latex2mathml_cannot_read_is_shown_as_its_source():
    assert math(r"\frac{1}{2}", True).startswith("<math")
    shown = math(r"\frac{1}{", False)
    assert 'class="tex"' in shown and r"\frac{1}{" in shown


def test_a_document_that_does_not_parse_gets_a_page_with_the_error(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("no front matter\n\n$$\nt = t\n$$\n")
    page = render_document(check_document(doc))
    assert re.search(r'class="banner bad">.*<br>ERROR [^<]*front matter', page)


def test_the_cli_writes_the_pages_and_rejects_a_folder_it_cannot_create(tmp_path, capsys):
    doc = tmp_path / "doc.md"
    doc.write_text(HEADER + "\n$$\nt = t\n$$\n")
    assert main(["derivations", str(doc), "--html", str(tmp_path / "out")]) == 0
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"doc.html", "index.html"}
    (tmp_path / "file").write_text("")
    assert main(["derivations", str(doc), "--html", str(tmp_path / "file" / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("backproof derivations: --html: cannot create the folder") and "file/out" in err


# ----------------------------------------------------------------------------- a real browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
needs_browser = pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (Debian: apt-get install "
                                                            "-y chromium); the HTML is tested without it")

# Appended to a copy of a page: measures what the browser laid out and writes it into the DOM.
PROBE = """<script>
const maths = [...document.querySelectorAll('math')];
const fracs = [...document.querySelectorAll('mfrac')].map(f => {
  const [top, bottom] = [...f.children].map(c => c.getBoundingClientRect());
  return top.bottom <= bottom.top + 1;   // the numerator is laid out above the denominator
});
document.body.insertAdjacentHTML('beforeend', '<pre id="probe">' + JSON.stringify({
  maths: maths.length,
  sized: maths.filter(m => { const r = m.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).length,
  fracs: fracs.length, stacked: fracs.filter(Boolean).length,
  verdicts: document.querySelectorAll('.eq .verdict').length,
  // a formula box that does not hold its content: scrolled or clipped (a transpose's T cut to an I)
  clipped: [...document.querySelectorAll('.formula')].filter(f =>
    f.scrollHeight > f.clientHeight + 1 || f.scrollWidth > f.clientWidth + 1).map(f => f.textContent.slice(0, 60)),
}) + '</pre>');
</script>"""


def _chromium(*args, timeout=90):
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-first-run", *args], capture_output=True, text=True, timeout=timeout)


@needs_browser
def test_the_pages_render_in_a_headless_browser(reports, tmp_path):
    write_html([reports["backprop.md"]], tmp_path)
    page = tmp_path / "backprop.html"
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    dom = _chromium("--dump-dom", probe.as_uri()).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom)
    assert found, "the page did not load far enough to run the probe"
    seen = json.loads(found.group(1))
    assert seen["maths"] > 30 and seen["sized"] == seen["maths"], seen
    assert seen["fracs"] > 5 and seen["stacked"] == seen["fracs"], f"fractions not laid out as MathML: {seen}"
    assert seen["verdicts"] == page.read_text().count('<div class="eq ')
    shot = tmp_path / "shot.png"
    _chromium("--window-size=1100,1400", f"--screenshot={shot}", page.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000   # a blank page compresses to ~5 kB


def _probe(page: Path, tmp_path: Path, width: int = 1280) -> dict:
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    dom = _chromium(f"--window-size={width},900", "--dump-dom", probe.as_uri()).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom)
    assert found, f"{page.name} did not load far enough to run the probe"
    return json.loads(found.group(1))


@needs_browser
def test_every_formula_box_holds_its_formula_on_every_page(reports, tmp_path):
    """Measured in chromium at 1280 px: no formula is clipped or scrolled (the cell used to clip
    superscripts, so BP2's (w^{l+1})^T showed an I, and cut source-003's long equations)."""
    write_html(list(reports.values()), tmp_path / "site")
    pages = sorted((tmp_path / "site").glob("*.html"))
    clipped = {p.name: seen["clipped"] for p in pages if p.name != "index.html" and not p.name.startswith("code-")
               for seen in [_probe(p, tmp_path)] if seen["clipped"]}
    assert clipped == {}, clipped


def test_pages_follow_the_reading_order_with_previous_and_next(reports, tmp_path):
    from backproof.checker.html import reading_order
    ordered = [Path(r.path).name for r in reading_order(list(reports.values()))]
    readme = (Path(__file__).resolve().parents[2] / "derivations" / "README.md").read_text()
    assert ordered == re.findall(r"^\| \[([\w-]+\.md)\]", readme, re.M)
    assert ordered[0] == "backprop.md" and ordered[-1] == "source-004.md"
    write_html(list(reports.values()), tmp_path)
    index = (tmp_path / "index.html").read_text()
    assert [index.index(f'href="./{n[:-3]}.html"') for n in ordered] == sorted(index.index(f'href="./{n[:-3]}.html"')
                                                                         for n in ordered)
    for before, page, after in zip(ordered, ordered[1:], ordered[2:]):
        text = (tmp_path / f"{page[:-3]}.html").read_text()
        assert f'rel="prev" href="./{before[:-3]}.html"' in text and f'rel="next" href="./{after[:-3]}.html"' in text
    assert 'rel="prev"' not in (tmp_path / "backprop.html").read_text().split("</nav>")[0]


def test_an_implements_tie_links_to_a_page_with_the_functions_source(reports, tmp_path):
    write_html([reports["backprop.md"]], tmp_path)
    page = (tmp_path / "backprop.html").read_text()
    assert '<a href="./code-manual.network.bp2_hidden_error.html"><code>manual.network.bp2_hidden_error</code></a>' in page
    code = (tmp_path / "code-manual.network.bp2_hidden_error.html").read_text()
    assert "manual/network.py, line " in code and "def bp2_hidden_error(" in code


def test_equation_numbers_are_set_apart_and_primes_and_words_are_typeset():
    from backproof.checker.html import _tags
    assert _tags(r"\delta^L = a \tag{BP1}") == (r"\delta^L = a ", ["BP1"])
    prime = math("f'(t) + g''(t)", False)
    assert "<msup><mi>f</mi>" not in prime and '<mi>f</mi><mo lspace="0" rspace="0">′</mo>' in prime
    word = math("E_{total} + w_{jk}", False)
    assert '<mi mathvariant="normal">total</mi>' in word and "<mi>j</mi><mi>k</mi>" in word


def test_the_network_figure_is_drawn_by_the_project_and_shown_in_backprop(tmp_path, reports):
    import runpy
    import sys
    root = Path(__file__).resolve().parents[2]
    shipped = root / "derivations" / "figures" / "network.png"
    assert shipped.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "](figures/network.png)" in \
        (root / "derivations" / "backprop.md").read_text()
    drawn = tmp_path / "again.png"
    argv = sys.argv
    sys.argv = ["network_figure.py", str(drawn)]
    try:
        runpy.run_path(str(root / "scripts" / "network_figure.py"), run_name="__main__")
    finally:
        sys.argv = argv
    assert drawn.stat().st_size > 20_000 and abs(drawn.stat().st_size - shipped.stat().st_size) < 0.2 * shipped.stat().st_size
    write_html([reports["backprop.md"]], tmp_path / "site")
    assert (tmp_path / "site" / "figures" / "network.png").read_bytes() == shipped.read_bytes()
    assert '<img src="./figures/network.png"' in (tmp_path / "site" / "backprop.html").read_text()


def test_a_verdicts_reason_shows_powers_and_subscripts_not_raw_latex():
    from backproof.checker.html import prose
    assert prose("row j of w^{l+1}, v^2, r^T, x_{ij}") == \
        "row j of w<sup>l+1</sup>, v<sup>2</sup>, r<sup>T</sup>, x<sub>ij</sub>"
    assert prose("c_input and a_output") == "c_input and a_output"            # names stay names
    assert prose("<script>x^{<b>}") == "&lt;script&gt;x<sup>&lt;b&gt;</sup>"   # still escaped


WIDTH_PROBE = ("<script>document.body.insertAdjacentHTML('beforeend', '<pre id=\"width\">' + "
               "document.documentElement.scrollWidth + ' ' + document.documentElement.clientWidth + '</pre>')</script>")


@needs_browser
def test_every_page_fits_an_800_pixel_window_without_scrolling_sideways(reports, tmp_path):
    """Measured in chromium: the page is no wider than the window (a formula wider than its box
    scrolls inside the box; the index's table wraps its headers)."""
    from concurrent.futures import ThreadPoolExecutor
    write_html(list(reports.values()), tmp_path / "site")
    pages = [p for p in sorted((tmp_path / "site").glob("*.html")) if not p.name.startswith("code-")]

    def width(page):   # the code pages are one <pre> each, which scrolls inside itself
        probe = tmp_path / f"probe-{page.name}"
        probe.write_text(page.read_text().replace("</body>", WIDTH_PROBE + "</body>"))
        dom = _chromium("--window-size=800,900", "--dump-dom", probe.as_uri()).stdout
        found = re.search(r'<pre id="width">(\d+) (\d+)</pre>', dom)
        assert found, f"{page.name} did not load far enough to run the probe"
        return page.name, tuple(map(int, found.groups()))
    with ThreadPoolExecutor(2) as pool:
        measured = dict(pool.map(width, pages))
    assert len(measured) == len(reports) + 1
    assert {name: w for name, w in measured.items() if w[0] > w[1]} == {}, measured
