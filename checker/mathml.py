"""MathML that is safe to put in a page: latex2mathml's output rebuilt from an allowlist.

latex2mathml copies text as it is (`\\text{<script>…}` becomes a live <script> inside <mtext>) and
turns `\\href{javascript:…}` into an attribute. So its output is parsed again and written back with
only MathML presentation elements and their layout attributes, every text escaped; anything else
(a tag, an attribute, a link) becomes text or is dropped. The page then holds no executable content
whatever the document says.
"""
from __future__ import annotations

import html
from html.parser import HTMLParser

ELEMENTS = {"math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "mfrac", "msqrt", "mroot", "msub",
            "msup", "msubsup", "munder", "mover", "munderover", "mtable", "mtr", "mtd", "mstyle",
            "mpadded", "mphantom", "menclose", "merror", "mmultiscripts", "mprescripts", "none"}
ATTRIBUTES = {"xmlns", "display", "mathvariant", "stretchy", "fence", "separator", "form", "lspace",
              "rspace", "symmetric", "minsize", "maxsize", "largeop", "movablelimits", "accent",
              "accentunder", "linethickness", "columnalign", "columnspacing", "columnlines", "rowalign",
              "rowspacing", "rowlines", "frame", "framespacing", "equalrows", "equalcolumns", "width",
              "height", "depth", "displaystyle", "scriptlevel", "notation", "align", "rowspan", "columnspan"}


def sanitize(markup: str) -> str:
    """`markup` with only allowed MathML elements and attributes kept (values escaped) and every
    other tag shown as escaped text."""
    parser = _Rebuild()
    parser.feed(markup)
    parser.close()
    return "".join(parser.out + [f"</{tag}>" for tag in reversed(parser.open)])


class _Rebuild(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []     # elements open now: an end tag closes only what is open

    def _tag(self, tag, attrs, close: str) -> str:
        if tag not in ELEMENTS:
            return html.escape(self.get_starttag_text() or f"<{tag}>")
        kept = "".join(f' {name}="{html.escape(value or "", quote=True)}"' for name, value in attrs
                       if name in ATTRIBUTES and (name != "xmlns" or value == "http://www.w3.org/1998/Math/MathML"))
        return f"<{tag}{kept}{close}>"

    def handle_starttag(self, tag, attrs):
        self.out.append(self._tag(tag, attrs, ""))
        if tag in ELEMENTS:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.out.append(self._tag(tag, attrs, " /"))

    def handle_endtag(self, tag):
        if tag not in self.open:
            self.out.append(html.escape(f"</{tag}>"))
            return
        while self.open:
            last = self.open.pop()
            self.out.append(f"</{last}>")
            if last == tag:
                break

    def handle_data(self, data):
        self.out.append(html.escape(data))

    def handle_comment(self, data):
        pass

    def handle_decl(self, decl):
        pass

    def handle_pi(self, data):
        pass

    def unknown_decl(self, data):
        pass
