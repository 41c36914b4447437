"""backproof.checker: every displayed equation of a derivation document checked by program.

The modules, in the order a document flows through them:
    grammar.py   the LaTeX dialect (a lark LALR grammar) -> syntax tree, with positions
    document.py  the Markdown document: front matter (the model), markers, equations with file:line
    meaning.py   syntax tree -> intermediate form with named fields, under the model
    evaluate.py  one instance (sizes, a random point): values, sums, derivatives along definitions
    functions.py the functions a document may name, and what `any` stands for
    check.py     definitions, claims, errata and ties for one document
    run.py       many documents: side by side, or read back from the cache
    prove.py     proof attempts in forked children, under an operation budget
    ties.py      run the manual/ function an equation names and compare it with the equation
    report.py    the text and JSON reports
    parallel.py  documents checked side by side in forked children
    cache.py     a document's report remembered by content (the command line's default)
    html.py      the documents as static HTML pages with their verdicts, in reading order, with
                 a page of source for each tied function and the documents' figures (--html DIR)
    mathml.py    latex2mathml's output rebuilt from an allowlist: nothing from a document runs
    errors.py    the located errors they share
The document format is described in derivations/README.md.
"""
