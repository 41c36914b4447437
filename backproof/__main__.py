"""`python -m backproof` is the `backproof` command."""
import sys

from backproof.cli.main import main

sys.exit(main())
