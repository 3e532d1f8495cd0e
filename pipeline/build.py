"""The whole build: ingest -> extract -> resolve -> conform -> validate -> publish."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline import __version__
from pipeline.errors import Issue, PipelineError


@dataclass
class BuildResult:
    """What a build produced: the output folder, row counts and the warnings met on the way."""

    out_dir: Path
    counts: dict[str, int]
    warnings: list[Issue]


def build(raw_dir: Path, out_dir: Path) -> BuildResult:
    """Build the dataset from raw_dir into out_dir; raises PipelineError with every problem found."""
    from pipeline.extract import extract
    from pipeline.ingest import ingest
    from pipeline.publish import publish
    from pipeline.reference import load_reference
    from pipeline.resolve import resolve
    from pipeline.schemas import conform, load_tables
    from pipeline.validate import validate

    ref = load_reference()
    corpus = ingest(Path(raw_dir))
    extractions = [extract(source, ref) for source in corpus.sources]
    resolved = resolve(extractions, ref)
    frames = {name: conform(resolved.tables[name], table) for name, table in load_tables().items()}
    texts = {s.source_id: s.text for s in corpus.sources}
    issues = validate(frames, texts, set(ref.rules))
    if issues:
        raise PipelineError("validate", issues)
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
    publish(frames, texts, Path(out_dir), report)
    return BuildResult(Path(out_dir), counts, warnings)
