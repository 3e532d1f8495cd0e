"""Per-source cache of what the extraction workers produce, keyed by the source's bytes, the code and
the reference data.

A build with nothing changed does no extraction; changing one source re-extracts only that one.
One JSON file per source: its mentions and its own rows as columns. Data only, never code.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import typing
from pathlib import Path

from pipeline.errors import Issue
from pipeline.mentions import DateMention, DocumentMention, MeetingMention
from pipeline.ingest import SourceText
from pipeline.paths import ROOT, SCHEMAS_DIR
from pipeline.provenance import Signatory, Val
from pipeline.source_rows import SourceRows

CACHED = (Val, DateMention, MeetingMention, Signatory, DocumentMention, Issue)
BY_NAME = {c.__name__: c for c in CACHED}


def code_fingerprint(reference_checksum: str) -> str:
    """What every cached extraction depends on besides its source: the pipeline's code and reference data."""
    digest = hashlib.sha256(reference_checksum.encode())
    for path in sorted((ROOT / "pipeline").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def cache_dir(out_dir: Path) -> Path:
    """The per-source cache of the build into out_dir: a folder beside it."""
    from pipeline.outdir import place_of

    return place_of(out_dir).sibling("cache")


def inputs_digest(fingerprint: str, corpus) -> str:
    """One checksum of everything a build depends on: code, reference data, schemas and sources."""
    digest = hashlib.sha256(fingerprint.encode())
    for path in sorted(SCHEMAS_DIR.glob("*")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for s in corpus.sources:  # what they are, not how --raw was spelt
        digest.update("\0".join((s.source_id, s.sha256, s.path, s.title or "", s.license or "",
                                  s.published_date or "")).encode())
    digest.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode())
    return digest.hexdigest()


def up_to_date(out_dir: Path, inputs: str) -> bool:
    """The output folder was built from exactly these inputs and its files still match SHA256SUMS."""
    from pipeline.validate import checksum_issues  # (validate imports the schemas, which this module need not)

    try:
        report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return report.get("inputs_sha256") == inputs and not checksum_issues(out_dir)


def cache_key(source: SourceText, fingerprint: str) -> str:
    """The cache file name for one source: its bytes and metadata, never how --raw was spelt."""
    return hashlib.sha256("\0".join((fingerprint, source.sha256, source.source_id,
                                     source.published_date or "")).encode()).hexdigest()


def load(folder: Path, key: str, source: SourceText) -> tuple[SourceRows | None, str | None]:
    """The cached mentions and rows (as columns) of a source, or None; and, for an entry that is there
    but not to be trusted, why (it is extracted again)."""
    path = folder / f"{key}.json"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as err:
        return None, f"unreadable ({err.strerror})"
    digest, _, body = data.partition(b"\n")
    if hashlib.sha256(body).hexdigest().encode() != digest:
        return None, "its content does not match its digest (edited or damaged)"
    try:
        entry = json.loads(body)
        rows = SourceRows(source_id=entry["source_id"], meetings=_decode(entry["meetings"]),
                          documents=_decode(entry["documents"]), warnings=_decode(entry["warnings"]),
                          tables=entry["tables"])
        problem = _type_problem(rows, source)
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        return None, f"it does not fit the types ({type(err).__name__})"
    if problem:
        return None, problem
    if entry.get("origin") and entry["origin"] != source.origin:  # messages name the file as this build does
        rows.warnings = [dataclasses.replace(w, where=w.where.replace(entry["origin"], source.origin, 1))
                         for w in rows.warnings]
    return rows, None


def _type_problem(rows: SourceRows, source: SourceText) -> str | None:
    """What in a decoded entry does not fit the types a build expects, or None."""
    from pipeline.source_rows import LINK_COLUMNS, LOCAL_TABLES, bare_schema

    if rows.source_id != source.source_id:
        return "it is another source's"
    if not all(isinstance(m, MeetingMention) for m in rows.meetings) or \
            not all(isinstance(d, DocumentMention) for d in rows.documents) or \
            not all(isinstance(w, Issue) for w in rows.warnings):
        return "it does not fit the types (mentions)"
    expected = {name: [f.name for f in bare_schema(name)] for name in LOCAL_TABLES} | {"links": list(LINK_COLUMNS)}
    if not isinstance(rows.tables, dict) or set(rows.tables) != set(expected):
        return "it does not fit the types (tables)"
    for name, columns in expected.items():
        table = rows.tables[name]
        if not isinstance(table, dict) or list(table) != columns or not all(isinstance(v, list) for v in table.values()) \
                or len({len(v) for v in table.values()}) > 1:
            return f"it does not fit the types ({name})"
    return None


def store(folder: Path, key: str, rows: SourceRows, origin: str = "") -> None:
    """Write one source's mentions and rows, with the digest of its content on the first line (checked on
    load), atomically: a killed build never leaves half a file, two never write one temporary file."""
    folder.mkdir(parents=True, exist_ok=True)
    data = {"source_id": rows.source_id, "origin": origin, "meetings": _encode(rows.meetings),
            "documents": _encode(rows.documents), "warnings": _encode(rows.warnings), "tables": rows.tables}
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    tmp = folder / f".{key}.{os.getpid()}.tmp"
    tmp.write_bytes(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    tmp.replace(folder / f"{key}.json")


def prune(folder: Path, keep: set[str]) -> None:
    """Remove cache files no source of this build uses (older code, changed or removed sources),
    so the cache never outgrows the corpus."""
    if folder.is_dir():
        for path in folder.glob("*.json"):
            if path.stem not in keep:
                path.unlink(missing_ok=True)
        for path in folder.glob(".*.tmp"):  # left by a build that was killed while writing
            path.unlink(missing_ok=True)


def _encode(obj):
    if dataclasses.is_dataclass(obj):
        return {"@": type(obj).__name__, **{f.name: _encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}}
    if isinstance(obj, (list, tuple)):
        return [_encode(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _encode(v) for k, v in obj.items()}
    return obj


def _decode(data):
    if isinstance(data, list):
        return [_decode(v) for v in data]
    if isinstance(data, dict) and "@" in data:
        cls = BY_NAME[data["@"]]
        tuples = _tuple_fields(cls)
        return cls(**{k: (tuple(v) if k in tuples and v is not None else _decode(v)) for k, v in data.items() if k != "@"})
    if isinstance(data, dict):
        return {k: _decode(v) for k, v in data.items()}
    return data


@functools.lru_cache(maxsize=None)
def _tuple_fields(cls) -> frozenset[str]:
    """Fields typed as tuples (mention keys and spans): JSON gives them back as lists."""
    hints = typing.get_type_hints(cls)
    out = set()
    for name, hint in hints.items():
        args = typing.get_args(hint)
        if typing.get_origin(hint) is tuple or any(typing.get_origin(a) is tuple for a in args):
            out.add(name)
    return frozenset(out)
