"""The extract stage over a corpus: each source from the cache or extracted anew (in a pool of
forked workers), its own rows written as parts, its mentions handed on in source order."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import Issue
from pipeline.runtime import ForkedPool

CACHED_RUN = 64  # cached sources in a row are written as one part of at most this many


def extract_corpus(sources, ref, fingerprint: str, cache_dir: Path | None, workers: int, local,
                   counts: dict, reuse: bool = True) -> Iterator[tuple]:
    """Each source and its mentions, yielded in source order as soon as it and every source before it are
    extracted (or come from the cache). Every source's own rows go into parts in `local`'s folder (in
    source order; `local` holds them all once this is exhausted) and `counts` gets the mentions found
    and the sources taken from the cache (none unless `reuse`), and `cache_warnings` the entries found
    wanting. Misses are extracted by `workers` forked processes, in contiguous chunks whose rows a
    worker writes as one part; workers fill the cache."""
    from pipeline import cache
    from pipeline.source_rows import combine_rows, write_part

    parts_dir = local.folder
    results: list = [None] * len(sources)
    parts: list[tuple[int, str]] = []  # (first source index, part stem)
    run: list[tuple[int, dict]] = []  # cached sources in a row, written as one part

    def write_run():
        if run:
            stem = f"c{run[0][0]:07d}"
            write_part(parts_dir, stem, combine_rows([t for _, t in run]))
            parts.append((run[0][0], stem))
            run.clear()

    keys = [cache.cache_key(s, fingerprint) for s in sources]
    todo = []
    rebuilt = counts.setdefault("cache_warnings", [])
    for i, (source, key) in enumerate(zip(sources, keys)):
        hit, problem = cache.load(cache_dir, key, source) if cache_dir and reuse else (None, None)
        if problem is not None:
            rebuilt.append(Issue(source.origin or source.path, "cache_entry_rebuilt",
                                 f"its cache entry was not used: {problem}; extracted again"))
        if hit is None or len(run) == CACHED_RUN:
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
    jobs = [([sources[i] for i in chunk], [keys[i] for i in chunk], cache_dir, parts_dir, f"x{chunk[0]:07d}")
            for chunk in chunks]
    with ForkedPool(lambda job: _extract_chunk(*job, ref=ref), jobs, workers) as done:
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


def _extract_chunk(sources, keys, cache_dir: Path | None, parts_dir: Path, stem: str, ref=None):
    """Extraction and own rows of a run of sources, in a worker process: their mentions, returned, and
    their rows, written as one part in parts_dir."""
    from pipeline import cache
    from pipeline.extract import extract
    from pipeline.reference import load_reference
    from pipeline.source_rows import combine_rows, source_rows, write_part

    ref = ref or load_reference()
    light, parts = [], []
    for source, key in zip(sources, keys):
        rows = source_rows(extract(source, ref), ref)
        if cache_dir:
            cache.store(cache_dir, key, rows, source.origin)
        parts.append(rows.tables)
        rows.tables = {}
        light.append(rows)
    write_part(parts_dir, stem, combine_rows(parts))
    return light
