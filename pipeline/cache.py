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
    for s in corpus.sources:
        digest.update("\0".join((s.source_id, s.sha256, s.path, s.title or "", s.license or "",
                                  s.published_date or "", s.origin)).encode())
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
    """The cache file name for one source."""
    return hashlib.sha256("\0".join((fingerprint, source.sha256, source.source_id, source.origin,
                                     source.published_date or "")).encode()).hexdigest()


def load(folder: Path, key: str, source: SourceText) -> SourceRows | None:
    """The cached mentions and rows (as columns) of a source, or None."""
    path = folder / f"{key}.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["source_id"] != source.source_id:
            return None
        return SourceRows(source_id=data["source_id"], meetings=_decode(data["meetings"]),
                          documents=_decode(data["documents"]), warnings=_decode(data["warnings"]),
                          tables=data["tables"])
    except (ValueError, KeyError, TypeError):
        return None  # a damaged cache file is rebuilt, never trusted


def store(folder: Path, key: str, rows: SourceRows) -> None:
    """Write one source's mentions and rows (atomically, so a killed build never leaves half a file)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = {"source_id": rows.source_id, "meetings": _encode(rows.meetings), "documents": _encode(rows.documents),
            "warnings": _encode(rows.warnings), "tables": rows.tables}
    tmp = folder / f".{key}.tmp"
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
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
