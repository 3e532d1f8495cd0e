"""The output folder, kept safe: only a missing or empty folder, or one this pipeline built (it holds
MARKER), may be a build's --out; one build per folder at a time (an OS file lock, which goes with its
process); what a killed build left beside the folder is cleared by the next, which first puts back the
last good build if a publish was cut between its two renames. Where --out is a mount point (a volume,
a tmpfs root), the build is staged and published inside it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import Issue, PipelineError
from pipeline.paths import DUCKDB_NAME

MARKER = ".sco-statements-build"  # written into every build: what makes a folder this pipeline's
LEGACY = ("datapackage.json", "report.json", "SHA256SUMS")  # a build from before the marker holds all three
STAGES = ("tmp", "old", "work")  # the folders a build keeps beside its output while it runs
PUBLISHED = {"csv", "parquet", "texts", "reference", "datapackage.json", "report.json", "SHA256SUMS",
             DUCKDB_NAME, MARKER}  # every top-level entry publishing writes


@dataclass(frozen=True)
class Place:
    """Where a build into `out` keeps its things: beside it, or inside it when it is a mount point."""

    out: Path
    inside: bool

    @property
    def home(self) -> Path:
        return self.out if self.inside else self.out.parent

    def sibling(self, kind: str, pid: int | None = None) -> Path:
        """The folder (or lock file) of this kind a build keeps: `.NAME.tmp-PID` beside the output."""
        stem = f".{kind}" if self.inside else f".{self.out.name}.{kind}"
        return self.home / (stem if pid is None else f"{stem}-{pid}")

    def leftovers(self, kind: str) -> list[Path]:
        return sorted(self.home.glob(self.sibling(kind).name + "-*"))


def place_of(out_dir: Path) -> Place:
    out = Path(os.path.abspath(out_dir))
    return Place(out, out.is_dir() and os.path.ismount(out))


class Claim:
    """A build's hold on its output folder: the lock, held until `release` (or the process ends)."""

    def __init__(self, place: Place, fd: int):
        self.place, self.fd = place, fd

    def release(self) -> None:
        if self.fd >= 0:
            try:
                os.unlink(self.place.sibling("lock"))  # while still held: no one can lock it meanwhile
            except FileNotFoundError:
                pass
            os.close(self.fd)  # the lock goes with it
            self.fd = -1

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def claim(out_dir: Path) -> Claim:
    """Check that --out may be built into, take its lock, put back a build a cut publish left aside and
    clear what dead builds left. Raises PipelineError, naming the folder, before any work is done."""
    place = place_of(out_dir)
    refusal = _refusal(place.out)
    if refusal is not None:
        raise PipelineError("publish", [Issue(str(place.out), "out_not_a_build", refusal)])
    place.home.mkdir(parents=True, exist_ok=True)
    fd = _lock(place)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    _recover(place)
    return Claim(place, fd)


def _lock(place: Place) -> int:
    """The lock file's descriptor, locked; the lock file is removed when the build ends, so a build that
    locked a file another has just removed tries again with the new one."""
    path = place.sibling("lock")
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "another process"
            os.close(fd)
            raise PipelineError("publish", [Issue(str(place.out), "out_busy",
                                                  f"another build (process {holder}) is writing this folder; "
                                                  "run again once it has ended")]) from None
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)  # locked a file the build before removed as it ended: lock the one in place now


def _refusal(out: Path) -> str | None:
    """Why a folder may not be built into, or None."""
    if out.exists() and not out.is_dir():
        return "--out is a file, not a folder; choose a new or empty folder (nothing was changed)"
    if not out.is_dir() or is_ours(out):
        return None
    if any(not _our_own_leftover(entry) for entry in out.iterdir()):
        return ("--out is a folder with files this pipeline did not write; choose a new or empty folder, "
                "or a folder a build made (nothing was changed)")
    return None


def is_ours(folder: Path) -> bool:
    """A folder a build of this pipeline made: it holds the marker (or all the files of an earlier build)."""
    return (folder / MARKER).is_file() or all((folder / name).is_file() for name in LEGACY)


def _our_own_leftover(entry: Path) -> bool:
    """What a build staging inside a mount point keeps there while it runs (and a killed one leaves)."""
    return entry.name in (".lock", ".cache") or any(entry.name.startswith(f".{kind}-") for kind in STAGES)


def published(name: str) -> bool:
    """Whether a build's top-level entry is one that publishing writes (and so may replace)."""
    return name in PUBLISHED


def swap(staged: Path, out_dir: Path) -> None:
    """Move a checked build into place. Beside the output: two renames (the old build aside, the new in);
    inside a mount point, entry by entry. Files the pipeline did not write stay (build/bench/, a user's notes)."""
    place = place_of(out_dir)
    out, old = place.out, place.sibling("old", os.getpid())
    if place.inside:
        old.mkdir()
        for entry in sorted(out.iterdir()):
            if published(entry.name):
                os.replace(entry, old / entry.name)
        for entry in sorted(staged.iterdir()):
            os.replace(entry, out / entry.name)
        staged.rmdir()
    else:
        if out.exists():
            for entry in sorted(out.iterdir()):
                if not published(entry.name):  # kept: carried into the new build
                    os.replace(entry, staged / entry.name)
            os.replace(out, old)
        os.replace(staged, out)
    if old.exists():
        shutil.rmtree(old)


def _recover(place: Place) -> None:
    """Under the lock, so that no live build owns them: a build left aside by a publish cut between its
    renames goes back in place, and every other folder a dead build left goes."""
    old = place.leftovers("old")
    if old and not place.inside and not place.out.exists() and _complete(old[-1]):
        os.replace(old.pop(), place.out)
    elif old and place.inside:  # moved aside entry by entry: what did not come back in goes back
        for entry in old[-1].iterdir():
            if not (place.out / entry.name).exists():
                os.replace(entry, place.out / entry.name)
    for kind in STAGES:
        for path in place.leftovers(kind):
            shutil.rmtree(path, ignore_errors=True)


def _complete(folder: Path) -> bool:
    try:
        return is_ours(folder) and bool(json.loads((folder / "report.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return False


def marker_bytes(name: str, version: str) -> bytes:
    """The marker file's content: which dataset and version wrote the folder."""
    return json.dumps({"dataset": name, "version": version}, sort_keys=True).encode() + b"\n"
