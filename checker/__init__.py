"""backproof.checker: every displayed equation of a derivation document checked by program.

The modules, in the order a document flows through them:
    grammar.py   the LaTeX dialect (a lark LALR grammar) -> syntax tree, with positions
    files.py     the one door every file a run reads goes through (regular, inside, bounded)
    document.py  the Markdown document: front matter (the model), markers, equations with file:line
    meaning.py   syntax tree -> intermediate form with named fields, under the model
    evaluate.py  one instance (sizes, a random point): values, sums, derivatives along definitions
    functions.py the functions a document may name, and what `any` stands for
    check.py     definitions, claims, errata and ties for one document
    run.py       many documents: side by side, or read back from the cache
    prove.py     proof attempts in forked children, under an operation budget
    general.py   proofs for every width and depth (with layers.py, sums.py), by the named rules of
                 rules.py, and derivatives.py, the one derivative table it shares with evaluate.py
    against.py   the sizes every such proof is also evaluated at, independently of it
    ties.py      run the manual/ function an equation names and compare it with the equation
    report.py    the text and JSON reports
    parallel.py  documents checked side by side in forked children
    cache.py     a document's report remembered by content (the command line's default)
    site.py      the site's file names, the one builder of its addresses, its figures and style
    html.py      the documents as static HTML pages with their verdicts, in reading order, with
                 a page of source for each tied function and the documents' figures (--html DIR)
    mathml.py    latex2mathml's output rebuilt from an allowlist: nothing from a document runs
    errors.py    the located errors they share
The document format is described in derivations/README.md.
"""
