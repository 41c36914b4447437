"""backproof.demos: what is built on the backprop but is not part of it.

    data.py          truth tables, scikit-learn's digits, the MNIST IDX reader
    recipes.py       the training recipes (`backproof train TASK`)
    plots.py         the pictures (matplotlib, headless)
    source_00N.py    the five source documents' code, corrected and runnable (their errata are in
                     derivations/source-00N.md)
Nothing in backproof.manual or backproof.reference imports from here.
"""
