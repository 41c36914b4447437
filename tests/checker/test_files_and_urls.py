"""Every file a run meets goes through one door (checker/files.py), and every address a page holds
is made by one builder (checker/html.site_url): hostile paths and names (issue 37), each a located
error or left out, never a hang, a traceback, a script or a fetch, and the other documents still
checked."""
from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from backproof.checker.cache import key as cache_key
from backproof.checker.check import check_document
from backproof.checker.files import Refused, publishable, read_bytes
from backproof.checker.html import render_code, write_html
from backproof.checker.site import page_names, site_url
from backproof.checker.results import DocReport
from backproof.checker.run import check_documents, expand_paths

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "derivations" / "activations-and-losses.md"
PNG = ROOT / "derivations" / "figures" / "network.png"


@pytest.fixture
def hostile(tmp_path) -> Path:
    """A folder with one good document and every kind of path the door refuses."""
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(GOOD, folder / "good.md")
    os.mkfifo(folder / "pipe.md")
    (folder / "dir.md").mkdir()
    (folder / "loop.md").symlink_to("loop.md")
    (folder / "a.md").symlink_to("b.md")
    (folder / "b.md").symlink_to("a.md")
    (tmp_path / "secret.md").write_text("outside\n")
    (folder / "out.md").symlink_to(tmp_path / "secret.md")
    with open(folder / "huge.md", "wb") as f:
        f.truncate(8 << 30)                 # sparse: 8 GB that cost nothing, unless read
    return folder


@pytest.mark.parametrize("name, why", [("pipe.md", "a FIFO"), ("dir.md", "a directory"),
                                       ("loop.md", "a loop of symbolic links"), ("a.md", "a loop of symbolic links"),
                                       ("huge.md", "more than the 1,000,000 allowed")])
def test_each_path_the_door_refuses_is_one_located_error(hostile, name, why):
    report = check_document(hostile / name)
    assert report.error is not None and report.error.startswith(f"{hostile / name}:1: ") and why in report.error, \
        report.error
    assert "\n" not in report.error


def test_a_folder_of_hostile_paths_is_checked_whole(hostile):
    """One bad path is one error: the good document is still checked, and nothing hangs or aborts."""
    docs, refused = expand_paths([hostile])
    assert {p.name for p in docs} == {"good.md", "pipe.md", "dir.md", "loop.md", "a.md", "b.md", "out.md", "huge.md"}
    assert set(refused) == {hostile / "out.md"}         # a link out of the folder is never read
    reports = {Path(r.path).name: r for r in check_documents([hostile])}
    assert reports["good.md"].ok and reports["good.md"].outcomes
    assert all(reports[n].error for n in ("pipe.md", "dir.md", "loop.md", "a.md", "b.md", "huge.md", "out.md"))
    assert reports["out.md"].refused and "outside" in reports["out.md"].error


def test_the_cache_key_goes_through_the_door(hostile):
    """The cache reads a document to name its entry: a FIFO would hang it there, before the checker."""
    assert cache_key(hostile / "pipe.md", True, None) != cache_key(hostile / "dir.md", True, None)


def test_the_door_bounds_and_places_what_it_reads(tmp_path):
    f = tmp_path / "f.txt"
    f.write_bytes(b"x" * 10)
    assert read_bytes(f, 10) == b"x" * 10
    with pytest.raises(Refused, match="10 bytes, more than the 9 allowed"):
        read_bytes(f, 9)
    inside = tmp_path / "inside"
    inside.mkdir()
    (inside / "link.txt").symlink_to(f)
    with pytest.raises(Refused, match="leads outside"):
        read_bytes(inside / "link.txt", 100, inside=inside)
    os.link(f, inside / "hard.txt")
    assert read_bytes(inside / "hard.txt", 100, inside=inside) == b"x" * 10   # read, for checking
    with pytest.raises(Refused, match="2 hard links"):
        publishable(inside / "hard.txt", 100, inside=inside)                # never published


# ----------------------------------------------------------------------------- one builder for every URL
@pytest.mark.parametrize("name, url", [("x.html", "./x.html"), ("javascript:alert(1).html", "./javascript%3Aalert%281%29.html"),
                                       ("figures/network.png", "./figures/network.png"),
                                       ("//host/x.png", None), ("../x.html", None), ("", None)])
def test_site_url_makes_a_relative_address_or_refuses(name, url):
    if url is None:
        with pytest.raises(ValueError):
            site_url(name)
    else:
        assert site_url(name) == url


def test_page_names_are_plain_files_that_never_take_the_index():
    reports = [DocReport(p) for p in ("d/javascript:document.title='x';x.md", "d/index.md", "e/index.md",
                                      "d/code-x.md", "d/ü ber.md", "d/...md")]
    names = list(page_names(reports).values())
    assert len(set(names)) == len(names) and "index.html" not in names
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+\.html", n) and not n.startswith("code-") for n in names), names


SITE_DOC = """---
checker:
  sizes: [[3, 4]]
  symbols:
    t: {}
---
# A page with hostile addresses

![remote](https://example.invalid/x.png) ![protocol-relative](//example.invalid/y.png)
![svg](figures/evil.svg) ![hard-linked](figures/linked.png) ![ours](figures/net.png)
![outside](../../etc/passwd.png) [a script](javascript:alert(1)) [next](other.md)

$$
t = t
$$
"""


def test_a_site_from_hostile_documents_holds_only_its_own_addresses(tmp_path):
    folder = tmp_path / "docs"
    (folder / "figures").mkdir(parents=True)
    (folder / "javascript:document.title='x';x.md").write_text(SITE_DOC)
    (folder / "other.md").write_text(SITE_DOC)
    (folder / "index.md").write_text(SITE_DOC)
    shutil.copy(PNG, folder / "figures" / "net.png")
    (folder / "figures" / "evil.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    (folder / "figures" / "fake.png").write_text("<script>alert(1)</script>")        # a PNG by name only
    shutil.copy(PNG, tmp_path / "elsewhere.png")
    os.link(tmp_path / "elsewhere.png", folder / "figures" / "linked.png")
    out = tmp_path / "site"
    written = write_html(check_documents(sorted(folder.glob("*.md"))), out)
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["net.png"]
    pages = [p for p in written if p.suffix == ".html"]
    assert len({p.name for p in pages}) == len(pages) and (out / "index.html").read_text().count("<tr>") == 4
    for page in pages:
        text = page.read_text()
        for attr, value in re.findall(r'\b(href|src)="([^"]*)"', text):
            assert value.startswith("./") or value.startswith("#"), (page.name, attr, value)
        assert "<script" not in text.lower() and "javascript:" not in re.findall(r'href="[^"]*"', text).__str__()
    doc = next(p for p in pages if p.name.startswith("javascript"))
    text = doc.read_text()
    assert text.count("a remote image, not fetched") == 2 and "example.invalid" not in str(re.findall(r'src="[^"]*"', text))
    assert 'src="./figures/net.png"' in text and 'href="./other.html"' in text


def test_an_implements_target_outside_the_backprop_is_never_imported():
    """`implements __main__.main` would import backproof/__main__.py, which runs the command."""
    before = "backproof.__main__" in sys.modules
    page = render_code("__main__.main")
    assert "cannot be shown" in page and "not a function of the backprop" in page
    assert ("backproof.__main__" in sys.modules) == before
    assert "def linear" in render_code("manual.network.linear")


# ----------------------------------------------------------------------------- what the door hands on
def test_line_endings_are_read_as_markdown_reads_them(tmp_path):
    """CR-only and CRLF files end their lines where a reader sees them: every line number the checker
    gives is the same as for the \\n file (CR-only ended in a traceback). Evaluated only: a proof
    reads no line."""
    text = GOOD.read_text()
    expected = [(o.where.line, o.status) for o in check_document(GOOD, prove=False).outcomes]
    for ending in ("\r", "\r\n"):
        p = tmp_path / "endings.md"
        p.write_bytes(text.replace("\n", ending).encode())
        report = check_document(p, prove=False)
        assert report.ok and [(o.where.line, o.status) for o in report.outcomes] == expected, ending


def test_a_nul_byte_and_a_bad_byte_are_located_at_their_line_and_column(tmp_path):
    p = tmp_path / "nul.md"
    lines = GOOD.read_text().split("\n")
    lines[29] = "abc\x00def"
    p.write_text("\n".join(lines))
    assert check_document(p).error.startswith(f"{p}:30:4: a NUL byte")
    p.write_bytes("\r\n".join(lines[:12] + ["ab\xffcd"]).encode("latin-1", errors="replace"))
    error = check_document(p).error
    assert re.match(rf"{re.escape(str(p))}:13:3: not UTF-8 text", error), error


def test_a_structure_too_deep_to_read_is_an_error_not_a_pass(tmp_path):
    """Markdown stops reading below its nesting limit and says nothing: a false claim 900 list levels
    deep was never read, and the document passed."""
    head = GOOD.read_text().split("\n---\n", 1)[0] + "\n---\n\n$$\nt = t\n$$\n\n"
    nest = "".join("  " * i + "- item\n" for i in range(900))
    p = tmp_path / "deep.md"
    p.write_text(head + nest + "  " * 900 + "$$\n1 = 2\n$$\n")
    report = check_document(p)
    assert report.error and "nested too deeply to be read" in report.error, report.error
    p.write_text(head + "".join("  " * i + "- item\n" for i in range(6)) + "\n$$\nt = t\n$$\n")
    assert check_document(p).error is None                      # a few levels are read as ever


def test_a_readme_that_links_out_of_the_folder_is_never_read(tmp_path):
    """The reading order comes from the folder's README.md; one that is a symbolic link to a file
    outside is refused by the door, so its order (b before a) is never applied."""
    from backproof.checker.html import reading_order
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("a.md", "b.md"):
        shutil.copy(GOOD, folder / name)
    (tmp_path / "outside.md").write_text("[b](b.md) [a](a.md)\n")
    reports = [DocReport(str(folder / "a.md")), DocReport(str(folder / "b.md"))]
    (folder / "README.md").write_text("[b](b.md) [a](a.md)\n")
    assert [Path(r.path).name for r in reading_order(reports)] == ["b.md", "a.md"]   # inside: read
    (folder / "README.md").unlink()
    (folder / "README.md").symlink_to(tmp_path / "outside.md")
    assert [Path(r.path).name for r in reading_order(reports)] == ["a.md", "b.md"]   # outside: never read


def test_a_hard_linked_document_is_checked_but_its_text_never_published(tmp_path):
    """A second hard link may be a file from outside the folder under another name: the checker
    reads it (the verdicts are shown), the page does not show its text."""
    folder = tmp_path / "docs"
    folder.mkdir()
    outside = tmp_path / "private.md"
    outside.write_text(GOOD.read_text().replace("# Activations", "# PRIVATE TEXT Activations"))
    os.link(outside, folder / "linked.md")
    out = tmp_path / "site"
    reports = check_documents([folder])
    assert reports[0].ok and reports[0].outcomes
    write_html(reports, out)
    page = (out / "linked.html").read_text()
    assert "PRIVATE TEXT" not in page and "2 hard links" in page


def test_the_document_line_and_the_total_line_count_an_error_alike(tmp_path):
    from backproof.checker.results import render
    p = tmp_path / "bad.md"
    p.write_text("---\nchecker:\n  sizes: nonsense\n---\n$$\nt = t\n$$\n")
    text = render([check_document(p)])
    assert "0 failed, 1 error  FAILED" in text.splitlines()[-2] and text.splitlines()[-1].endswith("1 error  FAILED")


def test_titles_are_shown_as_the_headings_are_and_code_pages_link_back(tmp_path, reports):
    out = tmp_path / "site"
    write_html(list(reports.values()), out)
    index = (out / "index.html").read_text()
    assert "delta^L" not in index and "$" not in re.sub(r"<[^>]*>", "", index)
    assert "<msup><mi>δ</mi><mi>L</mi></msup>" in index                # the title's δ^L as MathML
    bp2 = (out / "code-manual.network.bp2_hidden_error.html").read_text()
    links = re.findall(r'href="\./([\w.-]+\.html)#line-(\d+)"', bp2)
    assert links and all(f'id="line-{line}"' in (out / page).read_text() for page, line in links), links
    title = re.search(r"<title>(.*?)</title>", (out / "activations-and-losses.html").read_text()).group(1)
    assert "δ^L = a - y" in title and "$" not in title


def test_a_document_that_names_the_command_as_its_tie_runs_nothing(tmp_path):
    """`implements __main__.main` once imported backproof/__main__.py, which ran the whole command:
    a tie reaches only the functions of the backprop that have an adapter (checker/ties.py)."""
    before = "backproof.__main__" in sys.modules
    p = tmp_path / "tie.md"
    p.write_text("---\nchecker:\n  sizes: [[3, 4]]\n  symbols:\n    t: {}\n---\n"
                 "<!-- check: implements __main__.main -->\n$$\nt = t\n$$\n")
    report = check_document(p)
    assert report.outcomes[0].status == "FAIL" and "no tie adapter" in report.outcomes[0].detail
    write_html([report], tmp_path / "site")
    assert ("backproof.__main__" in sys.modules) == before


def test_a_socket_and_huge_sparse_readme_and_figure_cost_nothing(tmp_path):
    """A socket named like a document, and an 8 GB sparse README.md and figure beside a good
    document: one located error for the socket, the README and the figure refused by their size
    before a byte is read, and the site still written."""
    import socket
    import time
    folder = tmp_path / "docs"
    (folder / "figures").mkdir(parents=True)
    shutil.copy(GOOD, folder / "good.md")
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(folder / "sock.md"))
        for big in (folder / "README.md", folder / "figures" / "huge.png"):
            with open(big, "wb") as f:
                f.truncate(8 << 30)
        start = time.monotonic()
        reports = {Path(r.path).name: r for r in check_documents([folder], prove=False)}
        assert "a socket, not a regular file" in reports["sock.md"].error
        assert reports["good.md"].ok
        written = write_html(list(reports.values()), tmp_path / "site")
        assert time.monotonic() - start < 60
    assert not (tmp_path / "site" / "figures").exists() and any(p.name == "good.html" for p in written)
