"""The LaTeX dialect of the derivation documents: a lark LALR grammar and the syntax tree it builds.

The dialect is the LaTeX people write for backprop, read strictly:

    z^l_j = \\sum_k w^l_{jk} a^{l-1}_k + b^l_j             scripts, implicit products, \\sum
    \\frac{\\partial C}{\\partial w^l_{jk}} = a^{l-1}_k \\delta^l_j     a derivative is \\frac{\\partial A}{\\partial B}
    \\sigma'(z) = \\sigma(z)\\left(1 - \\sigma(z)\\right)        function calls, primes, \\left( \\right)
    \\delta^l = (\\delta^{l+1} w^{l+1}) \\odot f'(z^l), \\quad l < L      matrices, ⊙, conditions

One `$$` block holds one relation chain `A = B = C`, or several rows of an `aligned` environment
(a row that starts with `=` continues the chain above it), then optional conditions after a comma
and an optional `\\tag{...}`. A run of letters is ONE name (`out`, `net`): write `a b` for a product.
The parser knows nothing about the document's symbols; `meaning.py` gives the tree its meaning
(which superscripts are layers, which names are functions). Anything that does not parse is a
`LatexError` with the line and column of the offending token, never a guess.

Why over 400 lines: the grammar and `_Build`, which turns each of its rules into a `Node`, change
together (every rule alias is a method of `_Build`); apart, each would be unreadable without the other.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lark import Lark, Token, Transformer, v_args
from lark.lexer import BasicLexer, LexerThread
from lark.exceptions import VisitError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta lambda mu nu xi pi rho sigma tau "
         "phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega").split()

GRAMMAR = r"""
start: row (ROWSEP row)* TAG?
row: expr (AMP? EQ expr)+ conds?        -> chain
   | (AMP? EQ expr)+ conds?             -> continued
conds: ("," cond)+
cond: TEXT? expr (cmp expr)+
cmp: CMP | EQ

?expr: add
?add: mul
    | add PLUS mul                  -> plus
    | add MINUS mul                 -> minus
    | MINUS mul                     -> neg
?mul: unary
    | mul unary                     -> times
    | mul (CDOT | TIMES) unary      -> times
    | mul ODOT unary                -> hadamard
    | mul SLASH unary               -> divide
?unary: postfix
    | SUM sumlimits mul             -> sum
    | dop unary                     -> apply_derivative
    | NABLA script unary            -> nabla
?postfix: atom
    | atom script+                  -> scripted
?atom: NAME                         -> name
    | NUMBER                        -> number
    | ONES                          -> ones
    | paren
    | FRAC "{" expr "}" "{" expr "}"                -> frac
    | FRAC "{" DIFF expr "}" "{" DIFF postfix "}"   -> derivative
    | (NAME | FUNC) PRIME* paren                    -> call
    | SQRT "{" expr "}"                             -> sqrt
    | LVERT expr RVERT                              -> abs
    | LNORM expr RNORM                              -> norm
    | MINMAX "(" expr "," expr ")"                  -> minmax
    | MINMAX "\\left(" expr "," expr "\\right)"       -> minmax
    | CASESB case (ROWSEP case)* CASESE             -> cases
case: expr AMP TEXT? expr cmp expr
    | expr AMP TEXT
dop: FRAC "{" DIFF "}" "{" DIFF postfix "}"
paren: "(" expr ")" | "\\left(" expr "\\right)" | "[" expr "]" | "\\left[" expr "\\right]"
     | "{" expr "}" | BIGL expr BIGR
script: SUB1 | SUP1 | SUPTOP | SUBG exprs "}" | SUPG exprs "}"
exprs: expr ("," expr)*
sumlimits: SUB1 | SUBG NAME "}" | SUBG NAME EQ expr "}" (SUP1 | SUPG expr "}")

ROWSEP: "\\\\"
TAG: /\\tag\{[^{}]*\}/
EQ: "="
CMP: "<" | ">" | "\\le" | "\\leq" | "\\ge" | "\\geq" | "\\lt" | "\\gt" | "\\ne" | "\\neq"
TEXT: /\\text\{[^{}]*\}/
PLUS: "+"
MINUS: "-"
CDOT: "\\cdot"
TIMES: "\\times"
ODOT: "\\odot" | "\\circ"
SLASH: "/"
SUM: "\\sum"
NABLA: "\\nabla"
FRAC: "\\frac" | "\\dfrac" | "\\tfrac"
DIFF.2: "\\partial" | "\\mathrm{d}" | "\\operatorname{d}"   // above NAME, which \mathrm{d} also matches
ONES: "\\mathbf{1}"
PRIME: "'"
BIGL: "\\bigl(" | "\\Bigl(" | "\\biggl("
BIGR: "\\bigr)" | "\\Bigr)" | "\\biggr)"
FUNC: "\\exp" | "\\ln" | "\\log" | "\\tanh"
SQRT: "\\sqrt"
LVERT: "\\lvert" | "\\left|" | "\\left\\lvert"
RVERT: "\\rvert" | "\\right|" | "\\right\\rvert"
LNORM: "\\lVert" | "\\left\\|" | "\\left\\lVert"
RNORM: "\\rVert" | "\\right\\|" | "\\right\\rVert"
MINMAX: "\\max" | "\\min"
CASESB: "\\begin{cases}"
CASESE: "\\end{cases}"
AMP: "&"
SUB1: /_[A-Za-z0-9]/
SUP1: /\^[A-Za-z0-9]/
SUPTOP: /\^\\top(?![A-Za-z])/ | /\^\{\\top\}/
SUBG: "_{"
SUPG: "^{"
NAME: /[A-Za-z]+/
    | /\\(GREEK)(?![A-Za-z])/
    | /\\(mathrm|mathit|operatorname)\{[A-Za-z]+\}/
    | /\\(hat|tilde|bar)\{(\\(GREEK)|[A-Za-z])\}/
NUMBER: /\d+(\.\d+)?/

%ignore /\s+/
%ignore /\\[,;:! ]/
%ignore /\\q?quad(?![A-Za-z])/
%ignore /\\displaystyle(?![A-Za-z])/
%ignore /\\(begin|end)\{aligned\}/
""".replace("GREEK", "|".join(GREEK))

_PARSER = Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)
# The lexer that _PARSER.lex(text) would build again on every call (its parser's lexer is contextual),
# built once: the token count and the nesting are bounded on its tokens before anything is parsed.
_LEXER = BasicLexer(_PARSER.lexer_conf)

MAX_TOKENS = 600  # an equation longer than this is refused (issue 9: no unbounded work per equation)
MAX_NESTING = 40  # brackets, braces and parentheses inside one another


class LatexError(ValueError):
    """A place in an equation the dialect cannot read; `line` and `column` count from 1 within it."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


@dataclass(frozen=True)
class Node:
    """One syntax-tree node. `kind` names it (see `_Build`); `pos` is (line, column) in the equation;
    `text` is the source it was parsed from."""

    kind: str
    args: tuple = ()
    pos: tuple = (1, 1)
    text: str = field(default="", compare=False)

    def walk(self):
        yield self
        for a in self.args:
            if isinstance(a, Node):
                yield from a.walk()
            elif isinstance(a, tuple):
                for b in a:
                    if isinstance(b, Node):
                        yield from b.walk()


@dataclass(frozen=True)
class Chain:
    """`sides[0] = sides[1] = ...`, with its conditions (each a tuple of sides and comparisons)."""

    sides: tuple
    conditions: tuple
    pos: tuple


@dataclass(frozen=True)
class Equation:
    chains: tuple
    tag: str | None


def parse(text: str) -> Equation:
    """Parse one displayed equation, or raise LatexError at the first thing the dialect cannot read."""
    try:
        tokens = list(LexerThread.from_text(_LEXER, text).lex(None))
    except UnexpectedCharacters as e:
        raise LatexError(f"cannot read {text[e.pos_in_stream:e.pos_in_stream + 12]!r}: "
                         f"not part of the derivation dialect", e.line, e.column) from None
    if len(tokens) > MAX_TOKENS:
        raise LatexError(f"equation has {len(tokens)} tokens, more than the {MAX_TOKENS} allowed; "
                         f"split it", 1, 1)
    depth = 0
    for tok in tokens:   # bounded nesting: every later stage (the tree, its meaning, its value) recurses on it
        depth += tok.value[-1:] in ("(", "{", "[")
        depth -= tok.value[-1:] in (")", "}", "]")
        if depth > MAX_NESTING:
            raise LatexError(f"brackets nested more than {MAX_NESTING} deep; name a part with a definition",
                             tok.line, tok.column)
    try:
        tree = _PARSER.parse(text)
    except UnexpectedToken as e:
        if e.token.type == "$END":
            raise LatexError("equation ends early (an unclosed brace or parenthesis?)",
                             *_end_position(text)) from None
        raise LatexError(f"unexpected {e.token.value!r} here; expected one of: "
                         f"{', '.join(sorted(_readable(t) for t in e.expected)[:8])}",
                         e.token.line, e.token.column) from None
    except UnexpectedEOF:
        raise LatexError("equation ends early", *_end_position(text)) from None
    except UnexpectedInput as e:  # pragma: no cover - lark's other parse errors
        raise LatexError(str(e).splitlines()[0], getattr(e, "line", 1), getattr(e, "column", 1)) from None
    try:
        return _Build(text).transform(tree)
    except VisitError as e:
        if isinstance(e.orig_exc, LatexError):
            raise e.orig_exc from None
        if isinstance(e.orig_exc, RecursionError):   # a safety net: MAX_NESTING keeps far from it
            raise LatexError("nested too deeply to read", 1, 1) from None
        raise


def _end_position(text: str) -> tuple[int, int]:
    lines = text.rstrip().split("\n")
    return len(lines), len(lines[-1]) + 1


def _readable(terminal: str) -> str:
    return {"EQ": "'='", "RPAR": "')'", "NAME": "a name", "NUMBER": "a number", "PLUS": "'+'",
            "MINUS": "'-'", "RBRACE": "'}'", "LBRACE": "'{'", "LPAR": "'('"}.get(terminal, terminal)


@v_args(meta=True)
class _Build(Transformer):
    """Lark's parse tree → `Node`s. Kinds: name, number, ones, paren, frac, derivative, call,
    scripted (base, scripts), sub/sup (exprs), transpose, plus, minus, neg, times, hadamard,
    divide, sum (index, lower, upper, body), apply_derivative (wrt, body), nabla (wrt, body)."""

    def __init__(self, text: str):
        super().__init__()
        self.source = text

    def _node(self, kind, meta, *args):
        text = self.source[meta.start_pos:meta.end_pos] if not meta.empty else ""
        pos = (meta.line, meta.column) if not meta.empty else (1, 1)
        return Node(kind, tuple(args), pos, text)

    def _tok(self, kind, tok: Token, *args):
        return Node(kind, args or (str(tok),), (tok.line, tok.column), str(tok))

    # ------------------------------------------------------------------ structure
    def start(self, meta, items):
        tag = None
        if items and isinstance(items[-1], Token) and items[-1].type == "TAG":
            tag = items.pop()[5:-1]
        rows = [i for i in items if not isinstance(i, Token)]
        chains: list[Chain] = []
        for kind, sides, conds, pos in rows:
            if kind == "continued":
                if not chains:
                    raise LatexError("a row starts with '=' but there is no row above it", *pos)
                last = chains.pop()
                chains.append(Chain(last.sides + sides, last.conditions + conds, last.pos))
            else:
                chains.append(Chain(sides, conds, pos))
        return Equation(tuple(chains), tag)

    def chain(self, meta, items):
        return self._row("chain", meta, items)

    def continued(self, meta, items):
        return self._row("continued", meta, items)

    def _row(self, kind, meta, items):
        conds = ()
        if items and isinstance(items[-1], tuple) and items[-1] and items[-1][0] == "conds":
            conds = items.pop()[1]
        sides = tuple(i for i in items if isinstance(i, Node))
        return kind, sides, conds, (meta.line, meta.column)

    def conds(self, meta, items):
        return ("conds", tuple(items))

    def cond(self, meta, items):
        parts = [i for i in items if not (isinstance(i, Token) and i.type == "TEXT")]
        return Node("condition", tuple(parts), (meta.line, meta.column),
                    self.source[meta.start_pos:meta.end_pos])

    def cmp(self, meta, items):
        tok = items[0]
        return {"<": "<", "\\lt": "<", ">": ">", "\\gt": ">", "\\le": "<=", "\\leq": "<=",
                "\\ge": ">=", "\\geq": ">=", "=": "==",
                "\\ne": "!=", "\\neq": "!="}[str(tok)]

    # ------------------------------------------------------------------ atoms
    def name(self, meta, items):
        return self._tok("name", items[0], normalise_name(str(items[0])))

    def number(self, meta, items):
        return self._tok("number", items[0], str(items[0]))

    def ones(self, meta, items):
        return self._tok("ones", items[0], "1")

    def paren(self, meta, items):
        (inner,) = [i for i in items if isinstance(i, Node)]
        return self._node("paren", meta, inner)

    def frac(self, meta, items):
        num, den = [i for i in items if isinstance(i, Node)]
        return self._node("frac", meta, num, den)

    def derivative(self, meta, items):
        of, wrt = [i for i in items if isinstance(i, Node)]
        return self._node("derivative", meta, of, wrt)

    def dop(self, meta, items):
        (wrt,) = [i for i in items if isinstance(i, Node)]
        return wrt

    def apply_derivative(self, meta, items):
        wrt, body = items
        return self._node("derivative", meta, body, wrt)

    def nabla(self, meta, items):
        _, script, body = items
        if script.kind != "sub" or len(script.args) != 1:
            raise LatexError("write the gradient as \\nabla_{x} C", meta.line, meta.column)
        return self._node("derivative", meta, body, script.args[0])

    def call(self, meta, items):
        fn = items[0]
        primes = sum(1 for i in items if isinstance(i, Token) and i.type == "PRIME")
        arg = items[-1]
        return Node("call", (normalise_name(str(fn)), primes, arg), (fn.line, fn.column),
                    self.source[meta.start_pos:meta.end_pos])

    def scripted(self, meta, items):
        base, *scripts = items
        return self._node("scripted", meta, base, tuple(scripts))

    def script(self, meta, items):
        tok = items[0]
        if tok.type == "SUPTOP":
            return Node("sup", (Node("name", ("top",), (tok.line, tok.column + 1), "\\top"),),
                        (tok.line, tok.column), str(tok))
        kind = "sub" if tok.type.startswith("SUB") else "sup"
        if tok.type in ("SUB1", "SUP1"):
            ch = str(tok)[1]
            inner = Node("number" if ch.isdigit() else "name", (ch,), (tok.line, tok.column + 1), ch)
            return Node(kind, (inner,), (tok.line, tok.column), str(tok))
        exprs = items[1]
        return Node(kind, tuple(exprs), (tok.line, tok.column), self.source[meta.start_pos:meta.end_pos])

    def exprs(self, meta, items):
        return list(items)

    # ------------------------------------------------------------------ operators
    def plus(self, meta, items):
        return self._node("plus", meta, items[0], items[2])

    def minus(self, meta, items):
        return self._node("minus", meta, items[0], items[2])

    def neg(self, meta, items):
        return self._node("neg", meta, items[1])

    def times(self, meta, items):
        return self._node("times", meta, items[0], items[-1])

    def hadamard(self, meta, items):
        return self._node("hadamard", meta, items[0], items[2])

    def divide(self, meta, items):
        return self._node("divide", meta, items[0], items[2])

    def sqrt(self, meta, items):
        return self._node("sqrt", meta, items[1])

    def abs(self, meta, items):
        return self._node("abs", meta, items[1])

    def norm(self, meta, items):
        return self._node("norm", meta, items[1])

    def minmax(self, meta, items):
        return self._node(str(items[0])[1:], meta, items[1], items[2])

    def cases(self, meta, items):
        branches = tuple(i for i in items if isinstance(i, Node))
        if branches[-1].args[1] is not None:
            raise LatexError("the last case must be \\text{otherwise}", *branches[-1].pos)
        return self._node("cases", meta, branches)

    def case(self, meta, items):
        nodes = [i for i in items if isinstance(i, Node) or isinstance(i, str) and not isinstance(i, Token)]
        text = next((str(i) for i in items if isinstance(i, Token) and i.type == "TEXT"), None)
        if len(nodes) == 1:
            if text is None or text[6:-1].strip() not in ("otherwise", "else"):
                raise LatexError("a case is `value & condition` or `value & \\text{otherwise}`", meta.line, meta.column)
            return Node("case", (nodes[0], None), (meta.line, meta.column))
        value, left, op, right = nodes
        return Node("case", (value, Node("rcond", (left, right, op), (meta.line, meta.column))),
                    (meta.line, meta.column))

    def sum(self, meta, items):
        _, (index, lower, upper), body = items
        return self._node("sum", meta, index, lower, upper, body)

    def sumlimits(self, meta, items):
        first = items[0]
        if first.type == "SUB1":
            ch = str(first)[1]
            if ch.isdigit():
                raise LatexError("a sum's index must be a letter", first.line, first.column)
            return Node("name", (ch,), (first.line, first.column + 1), ch), None, None
        index = self.name(meta, [items[1]])
        if len(items) == 2:  # _{ NAME }
            return index, None, None
        _, _, _, lower, up, *rest = items
        if up.type == "SUP1":
            ch = str(up)[1]
            upper = Node("number" if ch.isdigit() else "name", (ch,), (up.line, up.column + 1), ch)
        else:
            upper = rest[0]
        return index, lower, upper

def normalise_name(raw: str) -> str:
    r"""The key a name has in a document's front matter: `\delta` → delta, `\mathrm{out}` → out,
    `\tilde{w}` → wtilde, `x` → x."""
    if raw.startswith("\\"):
        body = raw[1:]
        for accent in ("hat", "tilde", "bar"):
            if body.startswith(accent + "{"):
                return body[len(accent) + 1:-1].lstrip("\\") + accent
        if "{" in body:
            return body[body.index("{") + 1:-1]
        return body
    return raw
