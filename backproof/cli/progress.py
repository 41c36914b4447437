"""The progress bar every long subcommand shows, on a terminal only."""
from __future__ import annotations

import sys


class progress:
    """A rich progress bar on a terminal; nothing at all when output is a pipe or a CI log.

        with progress(total, "checking networks", quiet=args.json) as advance:
            ...; advance()
    """

    def __init__(self, total: int, label: str, quiet: bool = False):
        self.total, self.label = total, label
        self.enabled = not quiet and sys.stderr.isatty()

    def __enter__(self):
        if not self.enabled:
            return lambda: None
        from .console import Console
        from rich.progress import Progress
        self.bar = Progress(transient=True, console=Console(stderr=True))
        self.bar.start()
        task = self.bar.add_task(self.label, total=self.total)
        return lambda: self.bar.advance(task)

    def __exit__(self, *exc):
        if self.enabled:
            self.bar.stop()
        return False
