"""The whole build, stage by stage: ingest -> extract -> resolve -> conform -> validate -> publish.

Where each stage runs (forked children beside one another, pools of workers, a scratch folder for
the rows between stages) is `pipeline.runtime`'s; this module only says what follows what.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import __version__
from pipeline.errors import Issue, PipelineError
from pipeline.runtime import (PUBLISHED, Clock, Forked, HeldUntilExit, Scratch, forked_event, in_child, no_cycle_collection,
                              set_up_arrow, ticker, warm_up)


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

    out_dir must be missing, empty or a folder a build made; one build writes it at a time (see
    pipeline.outdir). Extraction and the frictionless gate run in `workers` processes (default: every
    core), with the per-source cache beside out_dir; when the inputs match the existing build exactly,
    nothing is redone. `progress(stage, message)` is called as each stage ends (the CLI shows it).
    """
    from pipeline.outdir import claim

    if workers is not None and workers < 1:
        raise ValueError(f"workers must be 1 or more, not {workers}")
    PUBLISHED.clear()  # this build's, not an earlier one's in the same process
    with claim(out_dir):
        return _build(raw_dir, out_dir, progress, workers, use_cache)


def _build(raw_dir: Path, out_dir: Path, progress, workers: int | None, use_cache: bool) -> BuildResult:
    from pipeline import cache
    from pipeline.conform import conform_all
    from pipeline.ingest import ingest
    from pipeline.publish import Staging, publish
    from pipeline.reference import load_reference
    from pipeline.validate import FrictionlessGate, validate_tables

    set_up_arrow()
    seconds: dict[str, float] = {}
    clock = Clock(seconds, progress)
    ref = load_reference()
    with clock("ingest") as say:
        corpus = ingest(Path(raw_dir))
        say(f"{len(corpus.sources)} source(s)")
    out_dir = Path(out_dir)
    fingerprint = cache.code_fingerprint(ref.checksum)
    inputs = cache.inputs_digest(fingerprint, corpus)
    if use_cache and cache.up_to_date(out_dir, inputs):
        clock.say("publish", f"nothing to do: {out_dir} is up to date with its inputs")
        report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
        return BuildResult(out_dir, report["row_counts"], [Issue(**w) for w in report["warnings"]], seconds, True)
    scratch = Scratch(out_dir)
    cores = workers or os.cpu_count() or 1
    staging = child = None
    texts = {s.source_id: s.text for s in corpus.sources}
    try:
        # extract and resolve in a forked child: the many small objects they make leave with it
        extracted_all = forked_event() if cores > 1 else None  # set by the child once its workers are done
        child = Forked(_extract_and_resolve, corpus.sources, ref, fingerprint, cache.cache_dir(out_dir), use_cache,
                       cores, scratch.parts, progress, extracted_all)
        if extracted_all is not None:  # while the child resolves on one core, this one readies the next stages
            while not extracted_all.wait(0.05) and not child.done():
                pass
        staging = Staging(out_dir, texts, progress=progress)  # a thread here writes the texts to publish (after the fork)
        if extracted_all is not None:
            warm_up()
        resolved, extracted, child_seconds = child.result()
        staging.wait()  # before anything else is forked
        seconds.update(child_seconds)
        with clock("conform") as say:
            counts, unused = conform_all(resolved, scratch, cores, staging)
            say(", ".join(f"{counts[n]} {n}" for n in ("meetings", "documents", "statements")))
        # validation runs beside the writing of the files; frictionless checks them once it has passed
        validation = Forked(validate_tables, scratch, texts, set(ref.rules), cores, fork=cores > 1)
        warnings = list(corpus.warnings) + resolved.warnings
        report = {"version": __version__, "inputs_sha256": inputs, "reference_sha256": ref.checksum,
                  "sources": {s.source_id: s.sha256 for s in corpus.sources}, "row_counts": counts,
                  "sentences_unused": unused, "warnings": [w.to_dict() for w in warnings]}
        try:
            with clock("publish") as say:
                staging.write_package(scratch, report)
                scratch.drop_parts()  # every row is in the tables now
                issues, seconds["validate"] = validation.result()
                if issues:
                    raise PipelineError("validate", issues)
                clock.say("validate", f"pandera, keys and spans passed ({seconds['validate']:.1f} s)")
                started = time.perf_counter()
                gate = FrictionlessGate(staging.folder, workers)  # checks the CSV package while DuckDB is written
                try:
                    publish(staging, scratch, report, gate, progress)
                finally:
                    gate.close()
                    seconds["frictionless"] = round(time.perf_counter() - started, 3)
                say(f"CSV, Parquet, DuckDB written and checked in {out_dir}")
        finally:
            validation.close()
    finally:
        if child is not None:
            child.stop()  # a failed or interrupted build's: before its scratch folder goes
        scratch.remove()
        if staging is not None:
            staging.discard()  # a failed build's (a published one's folder has been moved into place)
    return BuildResult(out_dir, counts, warnings, seconds, extracted=extracted)


def _extract_and_resolve(sources, ref, fingerprint: str, cache_dir: Path, reuse: bool, workers: int, parts_dir: Path,
                         progress, extracted_all=None) -> tuple:
    """Extract every source (its rows into parts_dir; from the cache where `reuse` and it holds a sound
    entry, which every extraction writes) and resolve the mentions into records: the Resolved records,
    how many sources were extracted anew, and the two stages' seconds.
    `extracted_all`, an event, is set once extraction is over (the parent then uses the idle core)."""
    from pipeline.extraction import extract_corpus
    from pipeline.resolve import resolve
    from pipeline.source_rows import RowParts

    seconds: dict[str, float] = {}
    clock = Clock(seconds, progress)
    counts: dict[str, int] = {}
    local = RowParts(parts_dir)
    child = in_child()  # then it ends once it has handed its result back: nothing need be freed
    left_to_exit: list = []  # what a child holds until it ends, rather than freeing it object by object

    def as_extracted():  # each source as soon as it is extracted: resolve merges its meetings meanwhile
        tick = ticker(progress, "extract: sources", len(sources))
        with clock("extract") as say:
            for extracted in extract_corpus(sources, ref, fingerprint, cache_dir, workers, local, counts, reuse):
                tick()
                yield extracted
            say(f"{counts['meetings']} meeting and {counts['documents']} document mention(s); "
                f"{counts['reused']} of {len(sources)} source(s) from the cache")
        if extracted_all is not None:
            extracted_all.set()
        counts["resolve_start"] = time.perf_counter()

    with no_cycle_collection(resume=not child):  # here and in the workers forked here
        resolved = resolve(as_extracted(), local, ref, workers, keep=left_to_exit if child else None)
        seconds["resolve"] = round(time.perf_counter() - counts["resolve_start"], 3)
        resolved.warnings[:0] = counts["cache_warnings"]  # said in the report, before the sources' own
    clock.say("resolve", f"{len(resolved.tables['meetings'])} meeting and {len(resolved.tables['documents'])} "
                         f"document record(s) ({seconds['resolve']:.1f} s)")
    result = (resolved, len(sources) - counts["reused"], seconds)
    return HeldUntilExit(result, left_to_exit) if child else result
