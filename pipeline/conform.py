"""The conform stage: every table of the resolved records and rows, in schema order and types, into
the scratch folder, a table at a time."""

from __future__ import annotations

from pipeline.errors import PipelineError
from pipeline.runtime import Forked, Scratch, release_memory

CONFORMED_ASIDE = ("statement_themes", "evidence")  # with 2+ workers, conformed in a child beside the rest


def conform_all(resolved, scratch: Scratch, workers: int = 1, staging=None) -> tuple[dict[str, int], int]:
    """Conform every table of the resolved records and rows into the scratch folder (with two workers
    or more, the CONFORMED_ASIDE tables in a forked child meanwhile, while the files of the others are
    written into `staging`): the row counts and the number of sentences no record uses. A failure is
    that of the first failing table in schema order, as if they had been conformed one after another."""
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


def _conform_tables(resolved, scratch: Scratch, names: list[str], threads: int = 1) -> dict:
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
