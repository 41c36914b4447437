"""The `backproof` command line: `main.py` parses the arguments and hands each subcommand to its
module (`check.py`, `derivations.py`, `demos.py`); `progress.py` is the progress bar they share."""
