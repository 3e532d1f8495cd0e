"""Ingest: read the raw folder, check it against its manifest, decode, split paragraphs and sentences.

The only stage that reads raw/. Offsets everywhere else index `SourceText.text`: the file's
UTF-8 text with a leading byte-order mark dropped and CRLF/CR line ends made LF, so a file
saved with Windows line ends parses exactly like a clean one.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import functools
import hashlib
import io
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import Issue, PipelineError
from pipeline.paths import MANIFEST_NAME

MANIFEST_COLUMNS = ("source_id", "path", "title", "sha256", "license", "published_date")
SOURCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
MAX_ID = 200  # a source id names files (texts/<id>.txt): well under any file system's limit on a name
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Sentence ends: terminal punctuation, optional closing quotes/brackets, whitespace, then a
# capital, digit or opening quote (`Matcher.sentences` leaves out the lexicon's abbreviations). The punctuation
# is part of the match (the sentence ends one past the match's start), so that the regex engine
# skips to it with its fast scan instead of trying a look-behind at every place.
SENTENCE_END = re.compile(r"[.!?…][\"»”’')\]]*\s+(?=[A-Z0-9«“\"„‘'(])")
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
NON_SPACE = re.compile(r"\S")


@dataclass(frozen=True)
class SourceText:
    """One decoded source with its paragraph and sentence spans."""

    source_id: str
    path: str
    sha256: str
    title: str | None
    license: str | None
    published_date: str | None
    text: str
    origin: str = ""  # where the file is, as the user named it: used in messages

    @functools.cached_property
    def paragraphs(self) -> tuple[tuple[int, int], ...]:
        """Paragraph spans (between blank lines, trimmed): found where first asked for, in the
        process that extracts the source, not while the raw folder is read."""
        return tuple(_paragraphs(self.text))

    def where(self, offset: int) -> str:
        """`file:line` of a character offset, for messages."""
        return f"{self.origin or self.path}:{self.line_of(offset)}"

    def line_of(self, offset: int) -> int:
        """1-based line number of a character offset."""
        return bisect.bisect_right(self._line_starts, offset)

    @functools.cached_property
    def _line_starts(self) -> list[int]:
        return [0] + [m.end() for m in re.finditer("\n", self.text)]


@dataclass(frozen=True)
class Corpus:
    """The decoded sources of a raw folder and the warnings reading them raised."""

    sources: tuple[SourceText, ...]
    warnings: tuple[Issue, ...] = field(default=())


def ingest(raw_dir: Path) -> Corpus:
    """Read every source of a raw folder (manifest-listed, or every .txt), in source_id order."""
    raw_dir = Path(raw_dir)
    issues: list[Issue] = []
    if raw_dir.exists() and not raw_dir.is_dir():
        raise PipelineError("ingest", [Issue(str(raw_dir), "raw_dir_missing", "--raw is a file; give the folder of sources")])
    if not raw_dir.is_dir():
        raise PipelineError("ingest", [Issue(str(raw_dir), "raw_dir_missing", "raw folder does not exist")])
    files = _raw_files(raw_dir)
    entries, warnings = _read_manifest(raw_dir, files, issues)
    warnings += _unread_files(raw_dir, files, entries)
    sources = []
    root = raw_dir.resolve()
    for entry in entries:
        source = _read_source(raw_dir, entry, issues, root)
        if source is not None:
            sources.append(source)
    if issues:
        raise PipelineError("ingest", issues)
    kept: dict[str, SourceText] = {}
    for source in sorted(sources, key=lambda s: s.source_id):
        first = kept.get(source.sha256)
        if first is not None:  # the same bytes twice would count every statement twice
            warnings.append(Issue(source.origin, "duplicate_source",
                                  f"identical bytes to {first.origin}; left out (source_id {source.source_id})"))
            continue
        kept[source.sha256] = source
    return Corpus(tuple(sorted(kept.values(), key=lambda s: s.source_id)), tuple(warnings))


def source_from_text(text: str, source_id: str = "text", published_date: str | None = None) -> SourceText:
    """A SourceText from a string already decoded (tests, tools); offsets index `text` as given."""
    data = text.encode("utf-8")
    return SourceText(source_id, f"{source_id}.txt", hashlib.sha256(data).hexdigest(), None, None, published_date,
                      text)


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _raw_files(raw_dir: Path) -> list[str]:
    """The names of the raw folder's files, but hidden ones, sorted: one listing, no stat per file."""
    with os.scandir(raw_dir) as found:
        return sorted(e.name for e in found if e.is_file() and not e.name.startswith("."))


def _is_text(name: str) -> bool:
    return name.lower().endswith(".txt")  # ".TXT" too


def _unread_files(raw_dir: Path, files: list[str], entries: list[dict]) -> list[Issue]:
    """A warning for each file of the raw folder that the build does not read (not listed in the
    manifest, or not a text file), so that none is left out without a word."""
    listed = {Path(e["path"]).as_posix() for e in entries if e.get("path")} | {MANIFEST_NAME}
    manifest = MANIFEST_NAME in files
    return [Issue(str(raw_dir / name), "file_not_read",
                  f"{'not listed in manifest.csv' if manifest and _is_text(name) else 'not a .txt file'}; left out of the build")
            for name in files if name not in listed]


def _read_manifest(raw_dir: Path, files: list[str], issues: list[Issue]) -> tuple[list[dict], list[Issue]]:
    manifest = raw_dir / MANIFEST_NAME
    if MANIFEST_NAME not in files:
        entries = [{"source_id": Path(name).stem, "path": name, "title": None, "sha256": None,
                    "license": None, "published_date": None}
                   for name in files if _is_text(name)]
        warning = Issue(str(manifest), "manifest_missing",
                        f"no manifest: {len(entries)} .txt file(s) read with default metadata")
        if not entries:
            issues.append(Issue(str(raw_dir), "no_sources", "no .txt sources and no manifest"))
        return entries, [warning]
    data = manifest.read_bytes()
    try:  # utf-8-sig: a spreadsheet program saves a byte-order mark first
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        issues.append(Issue(f"{manifest}:{line}", "manifest_encoding", "the manifest is not valid UTF-8"))
        return [], []
    return _manifest_entries(manifest, list(csv.reader(io.StringIO(text, newline=""))), issues), []


def _manifest_entries(manifest: Path, rows: list[list[str]], issues: list[Issue]) -> list[dict]:
    """The manifest's rows as entries, each checked; a bad row is an issue naming its line."""
    header = rows[0] if rows else []
    reader = ((line, dict(zip(header, row))) for line, row in enumerate(rows[1:], start=2) if any(c.strip() for c in row))
    missing = [c for c in ("source_id", "path") if c not in header]
    if missing:
        issues.append(Issue(f"{manifest}:1", "manifest_columns", f"manifest lacks column(s) {', '.join(missing)}"))
        return []
    entries = []
    seen = set()
    for line, row in reader:
        entry = {c: (row.get(c) or "").strip() or None for c in MANIFEST_COLUMNS}
        where = f"{manifest}:{line}"
        if not entry["source_id"] or not SOURCE_ID.match(entry["source_id"]) or len(entry["source_id"]) > MAX_ID:
            issues.append(Issue(where, "manifest_source_id", f"source_id must be letters, digits, '_', '-' or '.', "
                                f"at most {MAX_ID} of them", value=(entry["source_id"] or "")[:MAX_ID + 10]))
            continue
        bad = next((c for c in ("title", "license", "path") if entry[c] and CONTROL.search(entry[c])), None)
        if bad:
            issues.append(Issue(where, "manifest_value", f"{bad} holds a control character (a NUL byte, say)",
                                value=entry[bad][:80]))
            continue
        if entry["source_id"] in seen:
            issues.append(Issue(where, "manifest_duplicate_id", "source_id listed twice", value=entry["source_id"]))
            continue
        seen.add(entry["source_id"])
        if entry["published_date"]:
            try:
                if not ISO_DATE.match(entry["published_date"]):  # fromisoformat takes 20200101 too
                    raise ValueError(entry["published_date"])
                dt.date.fromisoformat(entry["published_date"])
            except ValueError:
                issues.append(Issue(where, "manifest_date", "published_date is not an ISO date (YYYY-MM-DD)",
                                    value=entry["published_date"]))
                continue
        entry["line"] = line
        entries.append(entry)
    return entries


def _read_source(raw_dir: Path, entry: dict, issues: list[Issue], root: Path) -> SourceText | None:
    """One source named by the manifest; `root` is raw_dir resolved (once for all the sources)."""
    rel = entry["path"]
    if not rel:
        issues.append(Issue(_where(raw_dir, entry), "manifest_path", "path is empty"))
        return None
    path = _inside(root, rel)
    if path is None:
        issues.append(Issue(_where(raw_dir, entry), "path_outside_raw", "path points outside the raw folder", value=rel))
        return None
    if not os.path.isfile(path):
        issues.append(Issue(_where(raw_dir, entry), "source_missing", "file named by the manifest does not exist",
                            value=rel))
        return None
    with open(path, "rb") as f:
        data = f.read()
    digest = hashlib.sha256(data).hexdigest()
    plain = _plain(rel)
    shown = os.path.join(raw_dir, rel) if plain and str(raw_dir) != "." else str(raw_dir / rel)
    if entry.get("sha256") and entry["sha256"].lower() != digest:
        issues.append(Issue(shown, "checksum_mismatch",
                            f"sha256 is {digest}, the manifest says {entry['sha256']}: the file was changed"))
        return None
    text = _decode(data, shown, issues)
    if text is None:
        return None
    return SourceText(entry["source_id"], rel if plain else Path(rel).as_posix(), digest, entry.get("title"),
                      entry.get("license"), entry.get("published_date"), text, shown)


def _where(raw_dir: Path, entry: dict) -> str:
    """The manifest line that names a source (or the file, without a manifest), for messages."""
    return f"{raw_dir / MANIFEST_NAME}:{entry['line']}" if "line" in entry else str(raw_dir / (entry["path"] or ""))


def _inside(root: Path, rel: str) -> str | None:
    """The real path of rel within root (resolved), or None when it leads outside. A plain file
    name that is not a symbolic link needs no resolving (one stat instead of one per folder)."""
    if _plain(rel):
        full = os.path.join(root, rel)
        try:
            if not stat.S_ISLNK(os.lstat(full).st_mode):
                return full
        except OSError:
            return full  # missing: said so by the caller
    path = (root / rel).resolve()
    return str(path) if path.is_relative_to(root) else None


def _plain(rel: str) -> bool:
    """Whether a manifest path is a bare file name (no folder in it): the path as written, joined
    to a folder, with no pathlib needed (a few microseconds a source, thousands of sources)."""
    return os.sep not in rel and (os.altsep is None or os.altsep not in rel) and rel not in (".", "..")


def _decode(data: bytes, where: str, issues: list[Issue]) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        issues.append(Issue(f"{where}:1", "not_utf8", "file is UTF-16 (byte-order mark); save it as UTF-8"))
        return None
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        issues.append(Issue(f"{where}:{line}", "binary", "file contains NUL bytes: it is binary, not text"))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        issues.append(Issue(f"{where}:{line}", "not_utf8",
                            f"invalid UTF-8 byte 0x{data[err.start]:02x} at byte {err.start}; save the file as UTF-8"))
        return None
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text or text.isspace():  # (no stripped copy of the text made to find out)
        issues.append(Issue(f"{where}:1", "empty", "file is empty"))
        return None
    return text


def _paragraphs(text: str):
    """Paragraph spans (between blank lines), trimmed of whitespace; blank ones left out."""
    cursor = 0
    for m in (*PARAGRAPH_BREAK.finditer(text), None):
        end = m.start() if m is not None else len(text)
        first = NON_SPACE.search(text, cursor, end)  # \S is exactly "not str.isspace()"
        if first is not None:
            while text[end - 1].isspace():
                end -= 1
            yield first.start(), end
        if m is not None:
            cursor = m.end()
