"""The whole build: ingest -> extract -> resolve -> conform -> validate -> publish."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import __version__
from pipeline.errors import Issue, PipelineError
from pipeline.memory import no_cycle_collection, release_memory
from pipeline.processes import Forked, can_fork, forked_event, in_child


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
    beside out_dir; when the inputs match the existing build exactly, nothing is redone. Extraction and
    resolution run in a forked child process, validation in another beside the writing of the files; rows
    between stages live in a scratch folder beside out_dir.
    `progress(stage, message)` is called as each stage ends (the CLI shows it on long runs).
    """
    import pyarrow as pa

    from pipeline.cache import code_fingerprint
    from pipeline.ingest import ingest
    from pipeline.publish import Staging, publish
    from pipeline.reference import load_reference

    pa.set_memory_pool(pa.system_memory_pool())  # one allocator for Arrow and Python: what one frees, the other reuses
    pa.array([""])  # pyarrow imports pandas on its first conversion of Python objects (0.3 s): once, here, before
    # any process is forked, rather than in each (the extraction child, its workers, conform, validation)
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
    scratch = _Scratch(out_dir)  # rows between stages live here, on disk: only the part at hand is in memory
    cores = workers or os.cpu_count() or 1
    staging = None
    texts = {s.source_id: s.text for s in corpus.sources}
    try:
        # extraction and resolution in a child process: the mentions and the many small objects made of
        # them leave with it and never fragment this process's heap; the sources' rows stay on disk and
        # the records come back (they are few)
        extracted_all = forked_event() if cores > 1 else None  # set by the child once its workers are done
        child = Forked(_extract_and_resolve, corpus.sources, ref, fingerprint, _cache_dir(out_dir) if use_cache else None,
                       cores, scratch.folder / "parts", progress, extracted_all)
        if extracted_all is None:
            staging = Staging(out_dir, texts)  # meanwhile a thread here writes the texts to publish (after the fork)
        else:  # while the child resolves on one core, this process readies the next stages on the other: the
            # texts written then (1.5 s of CPU at 100 MB) no longer slow the extraction's workers
            while not extracted_all.wait(0.05) and not child.done():
                pass
            staging = Staging(out_dir, texts)
            _warm_up()
        resolved, extracted, child_seconds = child.result()
        staging.wait()  # before anything else is forked
        seconds.update(child_seconds)
        with clock("resolve") as say:  # the records and rows conformed here, added to the child's resolve time
            counts, unused = _conform_all(resolved, scratch, cores, staging)
            say(", ".join(f"{counts[n]} {n}" for n in ("meetings", "documents", "statements")))
        # validation runs beside the writing of the files (on another core, when there is one); the files
        # are checked by frictionless, and published, only once validation has passed
        validation = Forked(_timed_validation, scratch, texts, set(ref.rules), cores, fork=cores > 1)

        def validated() -> None:
            # every row is in the tables now: the parts' disk is freed while validation finishes (at 100 MB
            # thousands of files, 0.35 s, that would otherwise hold up the writing of the files)
            shutil.rmtree(scratch.folder / "parts", ignore_errors=True)
            issues, seconds["validate"] = validation.result()
            if issues:
                raise PipelineError("validate", issues)
            if progress:
                progress("validate", f"pandera, keys and spans passed ({seconds['validate']:.1f} s)")

        warnings = list(corpus.warnings) + resolved.warnings
        report = {
            "version": __version__,
            "inputs_sha256": inputs,
            "reference_sha256": ref.checksum,
            "sources": {s.source_id: s.sha256 for s in corpus.sources},
            "row_counts": counts,
            "sentences_unused": unused,
            "warnings": [w.to_dict() for w in warnings],
        }
        try:
            with clock("publish") as say:
                publish(scratch, texts, Path(out_dir), report, seconds=seconds, workers=workers, before_checks=validated,
                        staging=staging)
                say(f"CSV, Parquet, DuckDB written and checked in {out_dir}")
        finally:
            validation.close()
    finally:
        scratch.remove()
        if staging is not None:
            staging.discard()  # a failed build's (a published one's folder has been moved into place)
    return BuildResult(Path(out_dir), counts, warnings, seconds, extracted=extracted)


def _extract_all(sources, ref, fingerprint: str, cache_dir: Path | None, workers: int, local, counts: dict):
    """Each source and its mentions, yielded in source order as soon as it and every source before it are
    extracted (or come from the cache). Every source's own rows go into parts in `local`'s folder (in
    source order; `local` holds them all once this is exhausted) and `counts` gets the mentions found
    and the sources taken from the cache. Misses are extracted in a process pool, in contiguous chunks
    whose rows a worker writes as one part; workers fill the cache."""
    from pipeline import cache
    from pipeline.source_rows import combine_rows, write_part

    parts_dir = local.folder
    results: list = [None] * len(sources)
    parts: list[tuple[int, str]] = []  # (first source index, part stem)
    run: list[tuple[int, dict]] = []  # cached sources in a row, written as one part (of at most 64)

    def write_run():
        if run:
            stem = f"c{run[0][0]:07d}"
            write_part(parts_dir, stem, combine_rows([t for _, t in run]))
            parts.append((run[0][0], stem))
            run.clear()

    keys = [cache.cache_key(s, fingerprint) for s in sources]
    todo = []
    for i, (source, key) in enumerate(zip(sources, keys)):
        hit = cache.load(cache_dir, key, source) if cache_dir else None
        if hit is None or len(run) == 64:
            write_run()
        if hit is None:
            todo.append(i)
        else:
            run.append((i, hit.tables))
            hit.tables = {}
            results[i] = hit
    write_run()
    counts.update(meetings=0, documents=0, reused=len(sources) - len(todo))
    chunks = _chunks(todo, workers)
    pooled = workers > 1 and len(chunks) > 1
    # forked workers take their sources from the memory they inherit, by index: the texts are not
    # serialised and piped to them (100 MB: about 0.5 s of CPU); elsewhere the sources travel
    by_index = pooled and can_fork()
    jobs = [(chunk if by_index else [sources[i] for i in chunk], [keys[i] for i in chunk], cache_dir, parts_dir,
             f"x{chunk[0]:07d}") for chunk in chunks]
    with contextlib.ExitStack() as stack:
        if pooled:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            if by_index:
                stack.enter_context(_inherited_sources(sources))
            context = multiprocessing.get_context("fork") if by_index else None
            pool = stack.enter_context(ProcessPoolExecutor(max_workers=workers, mp_context=context))
            task = _extract_inherited if by_index else _extract_chunk
            done = pool.map(task, *zip(*jobs))  # every chunk submitted now (the workers forked), results in order
        else:
            done = (_extract_chunk(*job, ref=ref) for job in jobs)
        ready = 0  # the sources before this one have been yielded
        for chunk, job, light in itertools.chain(zip(chunks, jobs, done), [((), None, ())]):
            for i, r in zip(chunk, light):
                results[i] = r
            if job is not None:
                parts.append((chunk[0], job[-1]))
            last = chunk[-1] + 1 if chunk else len(sources)  # every source before is in
            while ready < last:
                r, results[ready] = results[ready], None
                counts["meetings"] += len(r.meetings)
                counts["documents"] += len(r.documents)
                yield sources[ready], r
                ready += 1
    for _, stem in sorted(parts):
        local.add(stem)
    if cache_dir:
        cache.prune(cache_dir, set(keys))


def _chunks(todo: list[int], workers: int, largest: int = 64, smallest: int = 8) -> list[list[int]]:
    """Contiguous runs of sources for the workers, smaller and smaller towards the end (each a quarter
    of a worker's share of what is left, within [smallest, largest]): runs of 64 keep the overhead per
    run low, and the small last ones leave no core idle long while the other finishes."""
    chunks, k = [], 0
    while k < len(todo):
        left = len(todo) - k
        size = max(min(smallest, -(-left // workers)), min(largest, left // (workers * 4)))
        chunks.append(todo[k:k + size])
        k += size
    return chunks


def _extract_and_resolve(sources, ref, fingerprint: str, cache_dir: Path | None, workers: int, parts_dir: Path,
                         progress, extracted_all=None) -> tuple:
    """Extract every source (its rows into parts_dir) and resolve the mentions into records: the
    Resolved records, how many sources were extracted anew, and the two stages' seconds.
    `extracted_all`, an event, is set once extraction is over (the parent then uses the idle core)."""
    from pipeline.resolve import resolve
    from pipeline.source_rows import RowParts

    seconds: dict[str, float] = {}
    clock = _Clock(seconds, progress)
    counts: dict[str, int] = {}
    local = RowParts(parts_dir)
    child = in_child()  # then it ends once it has handed its result back: nothing need be freed

    def as_extracted():  # each source as soon as it is extracted: resolve merges its meetings meanwhile
        with clock("extract") as say:
            yield from _extract_all(sources, ref, fingerprint, cache_dir, workers, local, counts)
            say(f"{counts['meetings']} meeting and {counts['documents']} document mention(s); "
                f"{counts['reused']} of {len(sources)} source(s) from the cache")
        if extracted_all is not None:
            extracted_all.set()
        counts["resolve_start"] = time.perf_counter()

    with no_cycle_collection(resume=not child):  # here and in the workers forked here
        resolved = resolve(as_extracted(), local, ref, workers, keep=_LEFT_TO_EXIT if child else None)
        seconds["resolve"] = round(time.perf_counter() - counts["resolve_start"], 3)
    extracted = len(sources) - counts["reused"]
    return resolved, extracted, seconds


WARMED_UP = ("frictionless", "pandera.pandas", "duckdb", "pyarrow.csv", "pyarrow.parquet")  # validation, publish, gate


def _warm_up() -> None:
    """Import what validation, publishing and the frictionless gate use, and have frictionless read
    the package's descriptor once (about 0.75 s in all): the processes forked for them later inherit
    it, instead of each doing it again."""
    import importlib

    from pipeline.publish import root_datapackage

    for name in WARMED_UP:
        importlib.import_module(name)
    importlib.import_module("frictionless").Package(root_datapackage())


_LEFT_TO_EXIT: list = []  # what a child process holds until it ends, rather than freeing it object by object


CONFORMED_ASIDE = ("statement_themes", "evidence")  # with 2+ workers, conformed in a child beside the rest


def _conform_all(resolved, scratch: _Scratch, workers: int = 1, staging=None) -> tuple[dict[str, int], int]:
    """Conform every table of the resolved records and rows into the scratch folder, a table at a time
    (with two workers or more, the CONFORMED_ASIDE tables in a forked child meanwhile, while the files
    of the others are written into `staging`): the row counts and the number of sentences no record
    uses. A failure is that of the first failing table in schema order, as if they had been conformed
    one after another."""
    from pipeline.schemas import load_tables

    names = list(load_tables())
    aside = [n for n in CONFORMED_ASIDE if n in names] if workers > 1 else []
    other = Forked(_conform_tables, resolved, scratch, aside, workers) if aside else None
    try:
        done = _conform_tables(resolved, scratch, [n for n in names if n not in aside], workers)
        if other is not None and staging is not None and not any(isinstance(d, PipelineError) for d in done.values()):
            staging.write_tables(scratch, [n for n in names if n in done])  # on the core the child leaves free
        if other is not None:
            done.update(other.result())
    finally:
        if other is not None:
            other.close()
    failed = next((done[n] for n in names if isinstance(done.get(n), PipelineError)), None)
    if failed is not None:
        raise failed
    return {n: done[n][0] for n in names}, done["coverage"][1]


def _conform_tables(resolved, scratch: _Scratch, names: list[str], threads: int = 1) -> dict:
    """Conform these tables into the scratch folder (a large one's columns by `threads` threads): per
    table, (rows, sentences unused) or the PipelineError that stopped them (the tables after it are
    not conformed)."""
    import pyarrow.compute as pc

    from pipeline.schemas import conform, load_tables

    specs = load_tables()
    done: dict = {}
    for name in names:
        try:
            table = conform(resolved.pop(name), specs[name], threads)
        except PipelineError as err:
            done[name] = err
            break
        unused = table.num_rows - int(pc.sum(table["is_used"]).as_py() or 0) if name == "coverage" else 0
        done[name] = (table.num_rows, unused)
        scratch.put(name, table)
        del table
        release_memory()
    return done


def _timed_validation(tables, texts: dict[str, str], rule_ids: set[str], workers: int) -> tuple[list, float]:
    """validate() on the conformed tables, and how long it took."""
    from pipeline.schemas import load_tables
    from pipeline.validate import validate

    start = time.perf_counter()
    issues = validate(_Frames(tables, load_tables()), texts, rule_ids, workers)
    return issues, round(time.perf_counter() - start, 3)


_POOL_SOURCES: tuple = ()  # while the extraction pool runs: the sources its forked workers inherit


@contextlib.contextmanager
def _inherited_sources(sources):
    """_POOL_SOURCES set to these sources while the block runs (the pool's workers are forked in it)."""
    global _POOL_SOURCES
    _POOL_SOURCES = sources
    try:
        yield
    finally:
        _POOL_SOURCES = ()


def _extract_inherited(indices: list[int], *args):
    """_extract_chunk of the sources at these indices of _POOL_SOURCES, in a forked worker."""
    return _extract_chunk([_POOL_SOURCES[i] for i in indices], *args)


def _extract_chunk(sources, keys, cache_dir: Path | None, parts_dir: Path, stem: str, ref=None):
    """Extraction and own rows of a run of sources, in a worker process (the reference data is loaded
    and cached there): their mentions, returned, and their rows, written as one part in parts_dir."""
    from pipeline import cache
    from pipeline.extract import extract
    from pipeline.reference import load_reference
    from pipeline.source_rows import combine_rows, source_rows, write_part

    ref = ref or load_reference()
    light, parts = [], []
    for source, key in zip(sources, keys):
        rows = source_rows(extract(source, ref), ref)
        if cache_dir:
            cache.store(cache_dir, key, rows)
        parts.append(rows.tables)
        rows.tables = {}
        light.append(rows)
    write_part(parts_dir, stem, combine_rows(parts))
    return light


class _Scratch(Mapping):
    """A scratch folder beside the output for the rows between stages: the sources' own rows as
    parts (`parts/`), and each table once conformed, as Arrow IPC files mapped into memory whenever a
    stage asks for one (validation and publishing look at one or two tables, or a few columns, at a time)."""

    def __init__(self, out_dir: Path):
        out_dir = Path(out_dir).resolve()
        self.folder = out_dir.parent / f".{out_dir.name}.work-{os.getpid()}"
        for old in out_dir.parent.glob(f".{out_dir.name}.work-*"):  # what killed builds left
            pid = old.name.rsplit("-", 1)[1]
            if old == self.folder or (pid.isdigit() and not _running(int(pid))):
                shutil.rmtree(old, ignore_errors=True)
        self.folder.mkdir(parents=True)

    def put(self, name: str, table) -> None:
        from pipeline.source_rows import write_arrow

        write_arrow(self.folder / f"{name}.arrow", table)

    def __getitem__(self, name: str):
        return self.columns(name)

    def columns(self, name: str, columns: list[str] | None = None):
        """Table `name`, or only some of its columns."""
        from pipeline.source_rows import read_arrow

        if not (self.folder / f"{name}.arrow").is_file():
            raise KeyError(name)
        return read_arrow(self.folder / f"{name}.arrow", columns, copy=False)  # read only: mapped, never copied

    def __contains__(self, name) -> bool:  # (Mapping's would read the table)
        return (self.folder / f"{name}.arrow").is_file()

    def __iter__(self):  # the tables put so far (perhaps by another process), in schema order
        from pipeline.schemas import load_tables

        return (name for name in load_tables() if name in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def remove(self) -> None:
        """Delete the scratch folder (after publishing, or when the build failed)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def _running(pid: int) -> bool:
    """Whether a process with this id exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's
    return True


class _Frames(Mapping):
    """pandas views of the conformed tables, made when asked for and never kept: validation looks at
    one or two tables at a time, a large one in batches of rows (`batches`) or a few columns (`select`)."""

    def __init__(self, tables: Mapping, specs: dict, batch_rows: int = 262144):
        self.tables, self.specs, self.batch_rows = tables, specs, batch_rows

    def __getitem__(self, name: str):
        from pipeline.schemas import to_frame

        return to_frame(self.tables[name], self.specs[name])

    def batches(self, name: str):
        """A table's pandas views, a batch of rows at a time (indexed by row number in the table)."""
        import pandas as pd

        from pipeline.schemas import to_frame

        arrow, rows = self.tables[name], self.batch_rows
        for lo in range(0, max(arrow.num_rows, 1), rows):
            frame = to_frame(arrow.slice(lo, rows), self.specs[name])
            frame.index = pd.RangeIndex(lo, lo + len(frame))
            yield frame

    def select(self, name: str, columns: list[str]):
        """Only these columns of a table (read from disk alone when the tables are spilled there)."""
        from pipeline.schemas import to_frame

        read = getattr(self.tables, "columns", None)
        arrow = read(name, columns) if read else self.tables[name].select(columns)
        return to_frame(arrow, self.specs[name], columns)

    def __contains__(self, name) -> bool:  # (Mapping's would make the table's pandas view, then drop it)
        return name in self.tables

    def __iter__(self):
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)


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
        # a stage may come in pieces (resolve: in the child, then conform here): their times add up
        self.seconds[stage] = round(self.seconds.get(stage, 0) + time.perf_counter() - start, 3)
        if self.progress:
            self.progress(stage, f"{'; '.join(said)} ({self.seconds[stage]:.1f} s)")
