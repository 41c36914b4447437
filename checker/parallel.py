"""Independent work side by side: each item in a forked child process, a bounded number at a time.

Used for documents (each is checked on its own). Children are ordinary (not daemonic) processes,
so a document's own proof attempts can fork children of their own; fork shares the parent's
imports, so a child starts in milliseconds.
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.connection


def forked(items: list, order: list, jobs: int, fn):
    """Yield (index, fn(items[index]), None) as each child finishes, starting them in `order`, at
    most `jobs` at a time; (index, None, exit code) for a child that died without an answer. An
    exception in fn is raised here, in the parent, as it would be without children."""
    ctx = multiprocessing.get_context("fork")
    waiting, running = list(order), {}
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                i = waiting.pop(0)
                receive, send = ctx.Pipe(duplex=False)
                child = ctx.Process(target=_child, args=(fn, items[i], send))
                start(child)
                send.close()
                running[receive] = (i, child)
            for receive in multiprocessing.connection.wait(list(running)):
                i, child = running.pop(receive)
                try:
                    kind, result = receive.recv()
                except EOFError:
                    kind, result = "died", None
                child.join()
                receive.close()
                if kind == "raised":
                    raise result
                yield (i, result, None) if kind == "result" else (i, None, child.exitcode)
    finally:  # stopped early (an exception here or in the caller): no child is left running
        for receive, (_, child) in running.items():
            child.terminate()
            child.join()
            receive.close()


def _child(fn, item, send) -> None:
    quiet_on_interrupt()
    try:
        send.send(("result", fn(item)))
    except BaseException as e:  # noqa: BLE001 - re-raised in the parent
        send.send(("raised", e))
    send.close()


def start(child) -> None:
    """child.start() with SIGINT blocked across the fork. A Ctrl-C that arrives while the child is
    being made then waits until the child has chosen how to take it (quiet_on_interrupt, its first
    step), where it used to raise KeyboardInterrupt inside the half-started child, whose traceback
    multiprocessing prints; the parent takes its own copy once the child has started."""
    import signal
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        child.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def quiet_on_interrupt() -> None:
    """In a forked child (started by `start`, SIGINT blocked): Ctrl-C (sent to the whole process
    group) ends it at once and silently; the parent, interrupted too, says so in one line
    (backproof/cli/main.py). Where the parent ignores SIGINT (started in the background by a shell
    without job control, or under nohup), the child ignores it too: otherwise a stray SIGINT would
    kill the children and leave the parent to report their documents as failed. Only then is
    SIGINT unblocked: one that came during the fork is taken here, the chosen way."""
    import signal
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
