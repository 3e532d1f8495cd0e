"""The whole build: ingest -> extract -> resolve -> conform -> validate -> publish."""

from __future__ import annotations

import contextlib
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


def build(raw_dir: Path, out_dir: Path, progress: Callable[[str, str], None] | None = None) -> BuildResult:
    """Build the dataset from raw_dir into out_dir; raises PipelineError with every problem found.

    `progress(stage, message)` is called as each stage ends (the CLI shows it on long runs).
    """
    from pipeline.extract import extract
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
    with clock("extract") as say:
        extractions = [extract(source, ref) for source in corpus.sources]
        say(f"{sum(len(x.statements) for x in extractions)} statement mention(s)")
    with clock("resolve") as say:
        resolved = resolve(extractions, ref)
        frames = {name: conform(resolved.tables[name], table) for name, table in load_tables().items()}
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
        "reference_sha256": ref.checksum,
        "sources": {s.source_id: s.sha256 for s in corpus.sources},
        "row_counts": counts,
        "sentences_unused": int((~coverage["is_used"].astype(bool)).sum()),
        "warnings": [w.to_dict() for w in warnings],
    }
    with clock("publish") as say:
        publish(frames, texts, Path(out_dir), report, seconds=seconds)
        say(f"CSV, Parquet, DuckDB written and checked in {out_dir}")
    return BuildResult(Path(out_dir), counts, warnings, seconds)


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
