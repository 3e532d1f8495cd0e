"""Diff two built folders table by table: rows added, removed and changed, by primary key."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.schemas import load_tables


@dataclass
class TableDiff:
    """What changed in one table between two builds."""

    table: str
    added: list[tuple] = field(default_factory=list)
    removed: list[tuple] = field(default_factory=list)
    changed: list[tuple] = field(default_factory=list)


def diff_builds(old: Path, new: Path) -> list[TableDiff]:
    """Per table, the primary keys added, removed and changed from old to new."""
    out = []
    for name, table in load_tables().items():
        before, after = _keyed(Path(old), name, table.primary_key), _keyed(Path(new), name, table.primary_key)
        d = TableDiff(name)
        d.added = sorted(after.keys() - before.keys())
        d.removed = sorted(before.keys() - after.keys())
        d.changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
        out.append(d)
    return out


def render_diff(diffs: list[TableDiff]) -> str:
    """A Markdown table of counts, usable in a terminal and in CHANGELOG.md."""
    lines = ["| table | added | removed | changed |", "|---|---:|---:|---:|"]
    lines += [f"| {d.table} | {len(d.added)} | {len(d.removed)} | {len(d.changed)} |" for d in diffs]
    return "\n".join(lines)


def _keyed(folder: Path, table: str, key: tuple[str, ...]) -> dict[tuple, dict]:
    path = folder / "csv" / f"{table}.csv"
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        return {tuple(row[k] for k in key): row for row in csv.DictReader(f)}
