"""The command's one Console: rich's, except where the reader has gone (`backproof ... | head -1`).

rich answers a broken pipe with SystemExit(1) from inside a print, while the same pipe broken
between two prints reached main's handler (status 0): the status was 0 or 1 by chance. Here a broken
pipe is always the command's BrokenPipeError, so `main` ends it the one documented way: quietly,
status 0."""
from __future__ import annotations

import rich.console


class Console(rich.console.Console):
    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError("the reader of the output has gone")
