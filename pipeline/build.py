"""The whole build: ingest -> extract -> resolve -> conform -> validate -> publish."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
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

    Extraction and the frictionless gate run in `workers` processes (default: every core), with the per-source cache
    beside out_dir; when the inputs match the existing build exactly, nothing is redone.
    `progress(stage, message)` is called as each stage ends (the CLI shows it on long runs).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from pipeline.cache import code_fingerprint
    from pipeline.ingest import ingest
    from pipeline.publish import publish
    from pipeline.reference import load_reference
    from pipeline.resolve import resolve
    from pipeline.schemas import conform, load_tables
    from pipeline.validate import validate

    pa.set_memory_pool(pa.system_memory_pool())  # one allocator for Arrow and Python: what one frees, the other reuses
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
        results, local, reused = _extract_all(corpus.sources, ref, fingerprint,
                                              _cache_dir(out_dir) if use_cache else None, workers or os.cpu_count() or 1)
        say(f"{local['statements'].num_rows} statement(s); "
            f"{reused} of {len(results)} source(s) from the cache")
    with clock("resolve") as say:
        resolved = resolve(results, local, corpus.sources, ref)
        extracted = len(results) - reused
        del results, local  # each source's rows now live in the resolved tables
        _release_memory()
        specs = load_tables()
        tables = {}
        for name, spec in specs.items():
            tables[name] = conform(resolved.tables.pop(name), spec)
            _release_memory()
        say(", ".join(f"{t.num_rows} {n}" for n, t in tables.items() if n in ("meetings", "documents", "statements")))
    texts = {s.source_id: s.text for s in corpus.sources}
    with clock("validate") as say:
        issues = validate(_Frames(tables, specs), texts, set(ref.rules))
        if issues:
            raise PipelineError("validate", issues)
        say("pandera, keys and spans passed")
    warnings = list(corpus.warnings) + resolved.warnings
    counts = {name: t.num_rows for name, t in tables.items()}
    report = {
        "version": __version__,
        "inputs_sha256": inputs,
        "reference_sha256": ref.checksum,
        "sources": {s.source_id: s.sha256 for s in corpus.sources},
        "row_counts": counts,
        "sentences_unused": counts["coverage"] - int(pc.sum(tables["coverage"]["is_used"]).as_py() or 0),
        "warnings": [w.to_dict() for w in warnings],
    }
    with clock("publish") as say:
        publish(tables, texts, Path(out_dir), report, seconds=seconds, workers=workers)
        say(f"CSV, Parquet, DuckDB written and checked in {out_dir}")
    return BuildResult(Path(out_dir), counts, warnings, seconds, extracted=extracted)


def _extract_all(sources, ref, fingerprint: str, cache_dir: Path | None, workers: int):
    """Each source's mentions (in source order), every source's own rows (Arrow tables, concatenated in
    source order) and how many sources came from the cache. Misses are extracted in a process pool,
    in contiguous chunks whose rows travel as one Arrow table per chunk; workers fill the cache."""
    from pipeline import cache
    from pipeline.source_rows import combine_rows

    results: list = [None] * len(sources)
    parts: list[tuple[int, dict]] = []  # (first source index, tables of a run of sources)
    keys = [cache.cache_key(s, fingerprint) for s in sources]
    todo = []
    for i, (source, key) in enumerate(zip(sources, keys)):
        hit = cache.load(cache_dir, key, source) if cache_dir else None
        if hit is None:
            todo.append(i)
        else:
            parts.append((i, hit.tables))
            hit.tables = {}
            results[i] = hit
    size = max(1, min(64, len(todo) // (workers * 4) or 1))
    chunks = [todo[k:k + size] for k in range(0, len(todo), size)]
    jobs = [([sources[i] for i in chunk], [keys[i] for i in chunk], cache_dir) for chunk in chunks]
    if workers > 1 and len(chunks) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(_extract_chunk, *zip(*jobs)))
    else:
        done = [_extract_chunk(*job, ref=ref) for job in jobs]
    for chunk, (light, tables) in zip(chunks, done):
        for i, r in zip(chunk, light):
            results[i] = r
        parts.append((chunk[0], tables))
    parts.sort(key=lambda p: p[0])
    if cache_dir:
        cache.prune(cache_dir, set(keys))
    return results, combine_rows([t for _, t in parts]), len(sources) - len(todo)


def _extract_chunk(sources, keys, cache_dir: Path | None, ref=None):
    """Extraction and own rows of a run of sources, in a worker process (the reference data is loaded
    and cached there): their mentions, and their rows as one Arrow table per table."""
    from pipeline import cache
    from pipeline.extract import extract
    from pipeline.reference import load_reference
    from pipeline.source_rows import combine_rows, source_rows

    ref = ref or load_reference()
    light, parts = [], []
    for source, key in zip(sources, keys):
        rows = source_rows(extract(source, ref), ref)
        if cache_dir:
            cache.store(cache_dir, key, rows)
        parts.append(rows.tables)
        rows.tables = {}
        light.append(rows)
    return light, combine_rows(parts)


class _Frames(Mapping):
    """pandas views of the conformed tables, made when asked for and never kept: validation looks at
    one or two tables at a time, so at most those are converted at once."""

    def __init__(self, tables: dict, specs: dict):
        self.tables, self.specs = tables, specs

    def __getitem__(self, name: str):
        from pipeline.schemas import to_frame

        return to_frame(self.tables[name], self.specs[name])

    def __iter__(self):
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)


def _release_memory() -> None:
    """Hand the heap pages freed by the last step back to the OS (glibc keeps them otherwise, and
    the many small Arrow chunks and Python objects a step frees would count toward the next peak)."""
    import ctypes

    try:
        ctypes.CDLL(None).malloc_trim(0)  # the C library already loaded in this process
    except (OSError, AttributeError):
        pass  # not glibc: nothing to hand back this way


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
