"""The whole build: ingest -> extract -> resolve -> conform -> validate -> publish."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import __version__
from pipeline.errors import Issue, PipelineError


@dataclass
class BuildResult:
    """What a build produced: the output folder, row counts, stage timings and the warnings met."""

    out_dir: Path
    counts: dict[str, int]
    warnings: list[Issue]
    seconds: dict[str, float] = field(default_factory=dict)
    up_to_date: bool = False
    extracted: int = 0  # sources extracted anew (the rest came from the cache)


def build(raw_dir: Path, out_dir: Path, progress: Callable[[str, str], None] | None = None,
          workers: int | None = None, use_cache: bool = True) -> BuildResult:
    """Build the dataset from raw_dir into out_dir; raises PipelineError with every problem found.

    Extraction runs in `workers` processes (default: every core), reusing the per-source cache
    beside out_dir; when the inputs match the existing build exactly, nothing is redone.
    `progress(stage, message)` is called as each stage ends (the CLI shows it on long runs).
    """
    from pipeline.cache import code_fingerprint
    from pipeline.ingest import ingest
    from pipeline.publish import publish
    from pipeline.reference import load_reference
    from pipeline.resolve import resolve
    from pipeline.schemas import conform, load_tables
    from pipeline.validate import validate

    seconds: dict[str, float] = {}
    clock = _Clock(seconds, progress)
    ref = load_reference()
    with clock("ingest") as say:
        corpus = ingest(Path(raw_dir))
        say(f"{len(corpus.sources)} source(s)")
    out_dir = Path(out_dir)
    fingerprint = code_fingerprint(ref.checksum)
    inputs = _inputs_digest(fingerprint, corpus)
    if use_cache and _up_to_date(out_dir, inputs):
        if progress:
            progress("build", f"{out_dir} is up to date with its inputs: nothing to do")
        report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
        warnings = [Issue(**w) for w in report["warnings"]]
        return BuildResult(out_dir, report["row_counts"], warnings, seconds, up_to_date=True)
    with clock("extract") as say:
        extractions, reused = _extract_all(corpus.sources, ref, fingerprint, _cache_dir(out_dir) if use_cache else None,
                                           workers or os.cpu_count() or 1)
        say(f"{sum(len(x.statements) for x in extractions)} statement mention(s); "
            f"{reused} of {len(extractions)} source(s) from the cache")
    with clock("resolve") as say:
        resolved = resolve(extractions, ref)
        extracted = len(extractions) - reused
        del extractions  # mentions are not needed past this point; free them before the tables grow
        frames = {}
        for name, table in load_tables().items():
            frames[name] = conform(resolved.tables.pop(name), table)  # each row list freed once conformed
        say(", ".join(f"{len(f)} {n}" for n, f in frames.items() if n in ("meetings", "documents", "statements")))
    texts = {s.source_id: s.text for s in corpus.sources}
    with clock("validate") as say:
        issues = validate(frames, texts, set(ref.rules))
        if issues:
            raise PipelineError("validate", issues)
        say("pandera, keys and spans passed")
    warnings = list(corpus.warnings) + resolved.warnings
    counts = {name: len(frame) for name, frame in frames.items()}
    coverage = frames["coverage"]
    report = {
        "version": __version__,
        "inputs_sha256": inputs,
        "reference_sha256": ref.checksum,
        "sources": {s.source_id: s.sha256 for s in corpus.sources},
        "row_counts": counts,
        "sentences_unused": int((~coverage["is_used"].astype(bool)).sum()),
        "warnings": [w.to_dict() for w in warnings],
    }
    with clock("publish") as say:
        publish(frames, texts, Path(out_dir), report, seconds=seconds)
        say(f"CSV, Parquet, DuckDB written and checked in {out_dir}")
    return BuildResult(Path(out_dir), counts, warnings, seconds, extracted=extracted)


def _extract_all(sources, ref, fingerprint: str, cache_dir: Path | None, workers: int):
    """Extract every source: from the cache where it can, else in a process pool; results in source order."""
    from pipeline import cache
    from pipeline.extract import extract

    results: list = [None] * len(sources)
    keys = [cache.cache_key(s, fingerprint) for s in sources]
    todo = []
    for i, (source, key) in enumerate(zip(sources, keys)):
        hit = cache.load(cache_dir, key, source) if cache_dir else None
        if hit is None:
            todo.append(i)
        else:
            results[i] = hit
    if workers > 1 and len(todo) > 1:
        from concurrent.futures import ProcessPoolExecutor

        chunk = max(1, len(todo) // (workers * 8))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for i, x in zip(todo, pool.map(_extract_one, [sources[i] for i in todo], chunksize=chunk)):
                results[i] = x
    else:
        for i in todo:
            results[i] = extract(sources[i], ref)
    if cache_dir:
        for i in todo:
            cache.store(cache_dir, keys[i], results[i])
    return results, len(sources) - len(todo)


def _extract_one(source):
    """Extraction in a worker process: the reference data is loaded (and cached) there."""
    from pipeline.extract import extract
    from pipeline.reference import load_reference

    return extract(source, load_reference())


def _cache_dir(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.cache"


def _inputs_digest(fingerprint: str, corpus) -> str:
    """One checksum of everything a build depends on: code, reference data, schemas and sources."""
    from pipeline.paths import SCHEMAS_DIR

    digest = hashlib.sha256(fingerprint.encode())
    for path in sorted(SCHEMAS_DIR.glob("*")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for s in corpus.sources:
        digest.update("\0".join((s.source_id, s.sha256, s.path, s.title or "", s.license or "",
                                  s.published_date or "", s.origin)).encode())
    digest.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode())
    return digest.hexdigest()


def _up_to_date(out_dir: Path, inputs: str) -> bool:
    """The output folder was built from exactly these inputs and its files still match SHA256SUMS."""
    from pipeline.validate import checksum_issues

    try:
        report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return report.get("inputs_sha256") == inputs and not checksum_issues(out_dir)


class _Clock:
    """Times each stage into `seconds` and reports it through `progress`."""

    def __init__(self, seconds: dict[str, float], progress):
        self.seconds = seconds
        self.progress = progress

    @contextlib.contextmanager
    def __call__(self, stage: str):
        start = time.perf_counter()
        said: list[str] = []
        yield said.append
        self.seconds[stage] = round(time.perf_counter() - start, 3)
        if self.progress:
            self.progress(stage, f"{'; '.join(said)} ({self.seconds[stage]:.1f} s)")
