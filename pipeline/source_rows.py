"""Source rows: the rows one source gives on its own (statements, their themes, their evidence, coverage).

Runs in the extraction workers, so the bulk of the rows is built on every core and travels as
Arrow tables, never as Python objects. What needs every source (which meeting or document a
statement's context resolves to) is left as mention keys in a `links` table that resolve fills
in; the sentences those links rest on are added to coverage there too.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import Issue
from pipeline.mentions import DocumentMention, Extraction, MeetingMention
from pipeline.provenance import EvidenceRows, Val, coverage_rows, evidence_id, hash_id
from pipeline.reference import Reference
from pipeline.rulebook import rulebook_for

SPEAKER_FIELDS = ("speaker", "speaker_type", "speaker_name", "speaker_country")  # statement columns with a span each
LOCAL_TABLES = ("statements", "statement_themes", "evidence", "coverage")
LINK_COLUMNS = {  # one row per statement, in the order of its statements table
    "statement_id": "string", "document": "int64", "meeting": "int64", "link_rule": "string", "link_basis": "string",
    "link_start": "int64", "link_end": "int64",
    # what the evidence rows of the links will be, but for the record ids (made here, on every core):
    # their span's text and the ids of the rows that may be written (a document, the meeting of that
    # document, a meeting)
    "link_text": "string", "ev_document": "string", "ev_meeting_from_document": "string", "ev_meeting": "string"}


@dataclass
class SourceRows:
    """One source's mentions that need the whole corpus, and the rows it gives on its own."""

    source_id: str
    meetings: list[MeetingMention]
    documents: list[DocumentMention]
    warnings: list[Issue]
    tables: dict = field(default_factory=dict)  # table name (and "links") -> {column: [values]}


def source_rows(x: Extraction, ref: Reference) -> SourceRows:
    """Statements, statement themes, their evidence and the coverage of one extracted source, as columns
    (Arrow tables are built once per run of sources, by combine_rows)."""
    text = x.source.text
    sid = x.source.source_id
    rows = {name: {f.name: [] for f in bare_schema(name)} for name in LOCAL_TABLES}
    links: dict[str, list] = {name: [] for name in LINK_COLUMNS}
    evidence = EvidenceRows(rows["evidence"], text)
    spans: list[tuple[int, int, str]] = []  # (start, end, "table:id") for coverage
    occurrences: dict[str, int] = {}
    th_rows = rows["statement_themes"]
    st_append = [rows["statements"][c].append for c in ("statement_id", "text", "kind", "speaker", "speaker_type",
                                                        "speaker_name", "speaker_country", "meeting_id",
                                                        "document_id", "source_id", "char_start", "char_end",
                                                        "is_truncated")]
    link_append = [links[name].append for name in LINK_COLUMNS]
    via_document = rulebook_for(ref).one("meeting_from_document").rule_id
    warnings = list(x.warnings)
    for st in x.statements:
        fault = _statement_fault(st, text)
        if fault is not None:  # left out, said in the report: one bad record never fails the build
            warnings.append(Issue(x.source.where(st.start), "statement_left_out",
                                  f"statement left out of the tables: {fault}", value=" ".join(text[st.start:st.end].split())[:160]))
            continue
        norm = " ".join(text[st.start:st.end].split())
        n = occurrences.get(norm, 0)  # the same words twice in one source: 2nd occurrence
        occurrences[norm] = n + 1
        stid = hash_id("st", sid, norm, n)
        speaker = [getattr(st, name) for name in SPEAKER_FIELDS]
        for append, value in zip(st_append, (stid, norm, st.kind, *(v.value if v else None for v in speaker), None,
                                             None, sid, st.start, st.end, st.is_truncated)):
            append(value)
        user = f"statements:{stid}"
        basis = ref.rules[st.rule].basis
        evidence.add("statements", stid, "kind", st.kind, sid, st.start, st.end, basis, st.rule)
        evidence.add("statements", stid, "is_truncated", st.is_truncated, sid, st.start, st.end, basis, st.rule)
        spans.append((st.start, st.end, user))
        for name, sp in zip(SPEAKER_FIELDS, speaker):
            if sp is not None:
                evidence.add("statements", stid, name, sp.value, sid, sp.start, sp.end, sp.basis, sp.rule)
                spans.append((sp.start, sp.end, user))
        a, b = st.link_span or (st.start, st.end)
        linked = st.document is not None or st.meeting is not None
        for append, value in zip(link_append, (
                stid, st.document[1] if st.document else None, st.meeting[1] if st.meeting else None, st.link_rule,
                ref.rules[st.link_rule].basis if st.link_rule in ref.rules else "inferred", a, b,
                " ".join(text[a:b].split()) if linked else None,
                evidence_id("statements", stid, "document_id", sid, a, b, st.link_rule) if st.document else None,
                evidence_id("statements", stid, "meeting_id", sid, a, b, via_document) if st.document else None,
                evidence_id("statements", stid, "meeting_id", sid, a, b, st.link_rule) if st.meeting else None)):
            append(value)  # in LINK_COLUMNS order
        for theme_id, hits in st.themes.items():
            _theme_row(th_rows, evidence, spans, sid, stid, theme_id, hits)
    coverage_rows(rows["coverage"], text, sid, x.sentences, spans)
    return SourceRows(sid, x.meetings, x.documents, warnings, {**rows, "links": links})


def _statement_fault(st, text: str) -> str | None:
    """What makes a statement break the tables' promises (every span holds words), or None."""
    spans = [("its text", st.rule, (st.start, st.end))]
    spans += [(f"its {name.replace('_', ' ')}", v.rule, (v.start, v.end))
              for name in SPEAKER_FIELDS if (v := getattr(st, name)) is not None]
    if st.link_rule is not None and st.link_span is not None:
        spans.append(("the words its link rests on", st.link_rule, st.link_span))
    spans += [("a theme term", v.rule, (v.start, v.end)) for hits in st.themes.values() for v in hits]
    for what, rule, (a, b) in spans:
        if not (0 <= a < b <= len(text)) or text[a:b].isspace():
            return f"{what} has an empty span (rule {rule})"
    return None


def combine_rows(parts: list[dict]) -> dict:
    """Several sources' (or runs of sources') tables as one Arrow table each, in the order given;
    a part holds either columns of Python values or Arrow tables."""
    import pyarrow as pa

    out = {}
    for name in LOCAL_TABLES + ("links",):
        schema = bare_schema(name)
        tables, pending = [], []

        def flush():
            if pending:
                tables.append(pa.Table.from_arrays(
                    [pa.array(list(itertools.chain.from_iterable(p[f.name] for p in pending)), f.type) for f in schema],
                    schema=schema))
                pending.clear()

        for part in parts:
            if isinstance(part[name], pa.Table):
                flush()
                tables.append(part[name])
            else:
                pending.append(part[name])
        flush()
        out[name] = pa.concat_tables(tables) if tables else schema.empty_table()
    return out


class RowParts:
    """The sources' own rows as runs of sources (parts), in source order. Each part is one Arrow table
    per table name, kept in memory or, with a folder, as Arrow IPC files there, so that a stage can go
    through the rows one part at a time; `collect` gives a whole table when one is needed at once."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder
        self.parts: list = []  # in memory: {name: table}; on disk: the part's file stem
        self.after: dict[str, list] = {}  # tables that follow the parts (rows not of any one run)

    def add(self, part) -> None:
        """Append a part: {name: Arrow table}, written to the folder when there is one, or the stem
        of a part already written there (by `write_part`, in a worker)."""
        if isinstance(part, dict) and self.folder is not None:
            stem = f"{len(self.parts):06d}"
            write_part(self.folder, stem, part)
            part = stem
        self.parts.append(part)

    def __len__(self) -> int:
        return len(self.parts)

    def read(self, i: int, name: str):
        """Table `name` of part i."""
        part = self.parts[i]
        return part[name] if isinstance(part, dict) else read_arrow(self.folder / f"{part}.{name}.arrow")

    def replace(self, i: int, name: str, table) -> None:
        """Put a new version of table `name` of part i in place of the old."""
        part = self.parts[i]
        if isinstance(part, dict):
            part[name] = table
        else:
            write_arrow(self.folder / f"{part}.{name}.arrow", table)

    def append(self, name: str, table) -> None:
        """Rows to follow every part's rows of table `name` (in the folder, when there is one)."""
        after = self.after.setdefault(name, [])
        if self.folder is not None:
            path = self.folder / f"after-{len(after)}.{name}.arrow"
            write_arrow(path, table)
            table = path
        after.append(table)

    def collect(self, name: str, like: str | None = None):
        """Table `name` whole: every part's rows in order, then those appended (with no rows at all,
        an empty table of the schema of `like`, default `name`)."""
        import pyarrow as pa

        tables = [self.read(i, name) for i in range(len(self.parts))]
        tables += [read_arrow(t) if isinstance(t, Path) else t for t in self.after.pop(name, [])]
        return pa.concat_tables(tables) if tables else bare_schema(like or name).empty_table()


def write_part(folder: Path, stem: str, tables: dict) -> None:
    """A part's tables as Arrow IPC files `<stem>.<name>.arrow` in folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        write_arrow(folder / f"{stem}.{name}.arrow", table)


def write_arrow(path: Path, table) -> None:
    """An Arrow table as an uncompressed Arrow IPC file (written and read back faster than anything else)."""
    import pyarrow as pa

    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def read_arrow(path: Path, columns: list[str] | None = None, copy: bool = True):
    """The Arrow table of an IPC file (or only some of its columns). Copied into memory a column at a
    time, each column owns its buffers (so that one can be freed before the others); not copied, the
    table is the file mapped into memory, read only."""
    import pyarrow as pa

    source = pa.memory_map(str(path))  # stays mapped while a buffer of the table needs it
    mapped = pa.ipc.open_file(source).read_all()
    if columns is not None:
        mapped = mapped.select(columns)
    if not copy:
        return mapped
    table = pa.Table.from_arrays([pa.concat_arrays(c.chunks) if c.num_chunks else pa.array([], c.type)
                                  for c in mapped.columns], schema=mapped.schema)
    source.close()
    return table


@functools.lru_cache(maxsize=None)
def bare_schema(name: str):
    """The schema a source-rows table is built in: plain types, no metadata (they travel between processes)."""
    import pyarrow as pa

    from pipeline.schemas import load_tables, to_arrow

    if name == "links":
        return pa.schema([(k, v) for k, v in LINK_COLUMNS.items()])
    return pa.schema([pa.field(f.name, f.type) for f in to_arrow(load_tables()[name], plain=True)])


def _theme_row(rows, evidence: EvidenceRows, spans, sid: str, stid: str, theme_id: str, hits: list[Val]) -> None:
    terms: list[str] = []
    for h in hits:
        if h.value.lower() not in [t.lower() for t in terms]:
            terms.append(" ".join(h.value.split()))
    for col, value in (("statement_id", stid), ("theme_id", theme_id), ("matched_terms", " | ".join(terms)),
                       ("basis", hits[0].basis), ("rule_id", hits[0].rule)):
        rows[col].append(value)
    rid = f"{stid}|{theme_id}"
    for h in hits:  # the link's other columns describe the same match: only theme_id carries evidence
        evidence.add("statement_themes", rid, "theme_id", theme_id, sid, h.start, h.end, h.basis, h.rule)
        spans.append((h.start, h.end, f"statement_themes:{rid}"))
