"""Replace a set of files in a folder all at once: stage them beside it, then move them in with a journal.

Why: whoever reads the folder (a desk reading IN, a query reading the warehouse)
must see either the old set of files or the new one, never a half-written file
or half a delivery. Files are written in a staging folder next to the destination
(`<parent>/.<name>.staging`), on the same filesystem, so that putting them in
place is a rename. Before the first rename, a journal lists every move and
removal. If the process dies while writing, the next run finds no journal and
throws the staging folder away (the destination is untouched); if it dies during
the renames, the next run finds the journal and finishes them.

The staging folder is outside the destination on purpose: a desk mounts IN
itself, so nothing being written is ever visible inside a desk.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

from mdp.errors import PlatformError

JOURNAL = ".journal.json"


class StagingError(PlatformError):
    pass


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Staging:
    """`with Staging(dest) as st:` write under `st.path`, then `st.commit(files, remove)`.

    Leaving the block without a commit (an error, Ctrl-C) throws the staged files away.
    Only one staging per destination at a time: a second one waits for the lock.
    """

    def __init__(self, dest: Path):
        self.dest = Path(dest)
        self.path = self.dest.parent / f".{self.dest.name}.staging"
        self._lock_path = self.dest.parent / f".{self.dest.name}.lock"
        self._lock = None
        self.committed = False

    def __enter__(self) -> "Staging":
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        self._lock = open(self._lock_path, "a")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        recover(self.dest)
        self.path.mkdir(mode=0o700)
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if not self.committed:
                shutil.rmtree(self.path, ignore_errors=True)
        finally:
            self._lock.close()
        return False

    def commit(self, files: list[str], remove: list[str] = ()) -> None:
        """Move `files` (paths relative to the staging folder) into the destination; delete `remove` there."""
        for rel in files:
            staged = self.path / rel
            if not staged.is_file():
                raise StagingError(f"nothing was staged as {rel}")
            with open(staged, "rb") as fh:
                os.fsync(fh.fileno())
        journal = {"files": sorted(files), "remove": sorted(set(remove) - set(files))}
        tmp = self.path / (JOURNAL + ".tmp")
        tmp.write_text(json.dumps(journal))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        tmp.replace(self.path / JOURNAL)  # the point of no return
        _fsync_dir(self.path)
        self.committed = True
        _apply(self.dest, self.path, journal)


def recover(dest: Path) -> str:
    """Finish or drop what an interrupted run left; returns 'finished', 'dropped' or ''."""
    staging = Path(dest).parent / f".{Path(dest).name}.staging"
    if not staging.exists():
        return ""
    journal = staging / JOURNAL
    if journal.exists():
        _apply(Path(dest), staging, json.loads(journal.read_text()))
        return "finished"
    shutil.rmtree(staging)
    return "dropped"


def _apply(dest: Path, staging: Path, journal: dict) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for rel in journal["files"]:
        src, dst = staging / rel, dest / rel
        if src.exists():  # else: moved before an interruption
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
    for rel in journal["remove"]:
        (dest / rel).unlink(missing_ok=True)
    _fsync_dir(dest)
    shutil.rmtree(staging)
