"""The one door through which a run of the checker reads a file: documents, the reading-order
README.md, figures copied into a site, and the cache's key. Every rule about what may be read is
here, once:

* a regular file only: a FIFO would hang the run, a directory named `dir.md` abort it, a device
  or a socket never ends; each is refused with its kind named;
* `inside`, where given: the file's real path must lie in that folder (a symbolic link out of it,
  or a loop of links, is refused, never followed);
* the size is checked on the file's status before a byte is read, and no more than the limit is
  ever read (an 8 GB sparse file costs nothing);
* `publishable`: a file a site may copy also has one hard link only (a second name could be a
  file from outside the folder, linked in).

A refusal is a `Refused` (an OSError): the caller turns it into one located error for that path,
and the run goes on with the others."""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class Refused(OSError):
    """A path the checker will not read: why, in a sentence."""


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def check_path(path: str | Path, limit: int, inside: str | Path | None = None) -> os.stat_result:
    """The file's status if it may be read under these rules, else Refused."""
    path = Path(path)
    try:
        real = path.resolve(strict=True)
    except RuntimeError:   # Python before 3.13 reports a loop of links this way
        raise Refused(errno.ELOOP, "a loop of symbolic links: not read") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise Refused(errno.ELOOP, "a loop of symbolic links: not read") from None
        raise Refused(e.errno or errno.ENOENT, f"cannot be opened ({e.strerror or e})") from None
    if inside is not None and not real.is_relative_to(Path(inside).resolve()):
        raise Refused(errno.EACCES, f"leads outside {inside} (to {real}): not read")
    st = os.stat(real)
    for test, kind in _KINDS:
        if test(st.st_mode):
            raise Refused(errno.EINVAL, f"{kind}, not a regular file: not read")
    if not stat.S_ISREG(st.st_mode):
        raise Refused(errno.EINVAL, "not a regular file: not read")
    if st.st_size > limit:
        raise Refused(errno.EFBIG, f"{st.st_size:,} bytes, more than the {limit:,} allowed: not read")
    return st


def read_bytes(path: str | Path, limit: int, inside: str | Path | None = None) -> bytes:
    """The file's bytes, read through the door (at most `limit` of them, even if it grew)."""
    check_path(path, limit, inside)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):   # swapped for something else since the check
            raise Refused(errno.EINVAL, "not a regular file: not read")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise Refused(errno.EFBIG, f"more than the {limit:,} bytes allowed: not read")
    return data


def publishable(path: str | Path, limit: int, inside: str | Path) -> bytes:
    """The bytes of a file a site may copy: through the door, inside the folder, and with one hard
    link only."""
    st = check_path(path, limit, inside)
    if st.st_nlink > 1:
        raise Refused(errno.EACCES, f"has {st.st_nlink} hard links (a second name may be a file from outside "
                                    "the folder): not published")
    return read_bytes(path, limit, inside)
