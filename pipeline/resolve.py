"""Resolve: turn mentions from every source into records with stable IDs and value-level evidence.

Mentions of one meeting (in one source or many) become one row. What the text leaves out is
filled from the reference chronology when exactly one chronology meeting agrees with all that
the text states; such values are marked inferred, with the rule that produced them. A conflict
between the text and the chronology keeps the text and is reported, never overwritten.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.errors import Issue
from pipeline.ingest import SourceText
from pipeline.provenance import record_evidence, with_more_users
from pipeline.reference import Reference
from pipeline.resolve_chronology import ChronologyLookup
from pipeline.resolve_documents import DocumentRecords
from pipeline.resolve_meetings import MeetingRecords
from pipeline.rulebook import rulebook_for
from pipeline.runtime import Forked, forked_map
from pipeline.source_rows import RowParts, SourceRows, bare_schema, combine_rows

# records' evidence objects from which a forked child takes half of them (below, forking and handing
# the spans back cost more than they save)
EVIDENCE_SHARED_FROM = 1_000_000
LINK_EVIDENCE = "link_evidence"  # each part's evidence rows of its statements' links to records


@dataclass
class Resolved:
    """The record tables (lists of dicts in schema column names), the sources' own rows (statements,
    statement themes, evidence, coverage: RowParts, linked to the records), and the problems found."""

    tables: dict[str, list[dict]]
    warnings: list[Issue]
    parts: RowParts

    def pop(self, name: str):
        """Table `name` (a list of dicts or an Arrow table), handed over once: the rows are let go here."""
        import pyarrow as pa

        if name in self.tables:
            return self.tables.pop(name)
        if name == "evidence":  # the sources' own evidence and that of the records, then of the statements' links
            return pa.concat_tables([self.parts.collect(name), self.parts.collect(LINK_EVIDENCE, like=name)])
        return self.parts.collect(name)


@dataclass
class _Item:
    """One source and what its worker found in it."""

    source: SourceText
    rows: SourceRows
    meeting_ids: frozenset = frozenset()  # the meetings the source names, once its mentions are merged


def resolve(extracted: Iterable[tuple[SourceText, SourceRows]], local: RowParts | None, ref: Reference,
            workers: int = 1, keep: list | None = None) -> Resolved:
    """Merge mentions of every source into records, fill from the chronology, and link the sources'
    own rows (`local`: statements, statement themes, evidence, coverage and links, in parts in source
    order; None takes them from the extracted rows) to them, one part at a time (in `workers` processes).

    `extracted` gives each source and what was extracted from it, in source order, and may be given as
    they are extracted: meeting mentions are merged as they come (beside a pool's workers, while this
    process would otherwise only wait for them), the rest once it is exhausted, when `local` must hold every part. Each
    source's mentions are let go once merged (they are most of a large build's memory).
    `keep`, when given, receives the resolver's working state (the merged records and their evidence,
    millions of small objects at scale): a process about to end is spared freeing them one by one."""
    resolver = _Resolver(ref, workers)
    resolved = resolver.run(extracted, local)
    if keep is not None:
        keep.append(resolver)
    return resolved


class _Resolver:
    """Mentions of every source into records (meetings, documents and their signatories, with the
    chronology's help), then each source's own rows linked to them."""

    def __init__(self, ref: Reference, workers: int = 1):
        self.ex: list[_Item] = []
        self.workers = workers
        self.record_spans: dict[str, list] = {}  # per source, the spans records rest on (flat: start, end, user, ...)
        self.local: RowParts | None = None  # the sources' own rows, once every source has come
        self.texts: dict[str, str] = {}
        self.ref = ref
        self.rules = rulebook_for(ref)
        self.warnings: list[Issue] = []
        chronology = ChronologyLookup(ref, self.warnings)
        self.meetings = MeetingRecords(ref, self.warnings, chronology)
        self.documents = DocumentRecords(ref, self.warnings, chronology, self.meetings)

    def run(self, extracted: Iterable[tuple[SourceText, SourceRows]], local: RowParts | None) -> Resolved:
        """Records of every table from all the mentions, and the sources' own rows linked to them."""
        own = [] if local is None else None  # the sources' own rows, when they are not in parts already
        for source, rows in extracted:  # meetings as the sources come (perhaps still being extracted)
            x = _Item(source, rows)
            self.ex.append(x)
            self.texts[source.source_id] = source.text
            if own is not None:
                own.append(rows.tables)
            self.warnings.extend(rows.warnings)
            self.meetings.add_source(x, rows.meetings)
            x.meeting_ids = frozenset(self.meetings.of_mention.get(m.key) for m in rows.meetings) - {None}
            rows.meetings = []  # merged: let go (mentions are most of a large build's memory)
        if own is not None:
            local = RowParts()
            local.add(combine_rows(own))
        self.local = local
        self.meetings.merge_placeless()
        for x in self.ex:
            for d in x.rows.documents:
                if d.antecedent is None:
                    self.documents.add(x, d)
            for d in x.rows.documents:
                if d.antecedent is not None:
                    self.documents.of_mention[d.key] = self.documents.of_mention.get(d.antecedent)
            x.rows = None
        tables = {
            "sources": [self._source_row(x) for x in self.ex],
            "meetings": [self.meetings.row(mid, f) for mid, f in self.meetings.records.items()],
            "documents": [dict(document_id=did, **{k: f.get(k) for k in
                                                    ("title", "doc_type", "meeting_id", "date", "year", "status")})
                          for did, f in self.documents.records.items()],
            "document_signatories": [dict(document_id=k[0], country_code=k[1], role=f.get("role"),
                                          name_as_written=f.get("name_as_written"))
                                     for k, f in self.documents.signatories.items()],
            "themes": [dict(theme_id=t.theme_id, label=t.label, description=t.description,
                            parent_theme_id=t.parent_theme_id,
                            signal_terms=" | ".join(t.terms + tuple(p.pattern for p in t.patterns)))
                       for t in self.ref.themes],
        }
        rows, self.record_spans = self._record_evidence()
        self.local.append("evidence", self._evidence_table(rows))
        del rows
        self._each_part()
        return Resolved(tables, self.warnings, self.local)

    def _source_row(self, x: _Item) -> dict:
        s = x.source
        return dict(source_id=s.source_id, path=s.path, sha256=s.sha256, title=s.title, license=s.license,
                    published_date=s.published_date, n_chars=len(s.text))

    # -- statements and coverage: each source's rows, linked to the records, a part at a time
    def _each_part(self) -> None:
        """Link statements and complete coverage in every part: in `workers` forked processes when the
        parts are on disk (each part is on its own, and the records are only read)."""
        forked_map(self._link_and_cover, range(len(self.local)), self.workers if self.local.folder is not None else 1)

    def _link_and_cover(self, p: int) -> None:
        """Part p's statements linked to the records and its coverage completed."""
        self._coverage(p, self._link_statements(p))

    def _link_statements(self, p: int) -> dict[str, list]:
        """Fill each statement's meeting_id and document_id of part p from its context's mentions, add
        the evidence rows of those links to the part (as `link_evidence`), and return the spans they rest
        on (by source) for coverage. Only that part's values are ever Python objects."""
        import pyarrow as pa

        spans: dict[str, list] = {}  # per source: start, end, user, start, ...
        batch, part = self.local.read(p, "links"), self.local.read(p, "statements")
        schema = part.schema
        rows: list[tuple] = []
        meeting_ids, document_ids = [], []
        via_document = self.rules.one("meeting_from_document")
        columns = [part["source_id"]] + [batch.column(c) for c in (
            "statement_id", "document", "meeting", "link_rule", "link_basis", "link_start", "link_end", "link_text",
            "ev_document", "ev_meeting_from_document", "ev_meeting")]
        for sid, stid, doc, meeting, rule, basis, a, b, text, ev_doc, ev_doc_meeting, ev_meeting in zip(
                *(c.to_pylist() for c in columns)):
            did = self.documents.of_mention.get((sid, doc)) if doc is not None else None
            mid = None
            if did is not None:
                rows.append((ev_doc, "statements", stid, "document_id", did, sid, a, b, text, basis, rule))
                mid = self.documents.records[did].get("meeting_id")
                if mid:
                    rows.append((ev_doc_meeting, "statements", stid, "meeting_id", mid, sid, a, b, text,
                                 via_document.basis, via_document.rule_id))
            elif meeting is not None:
                mid = self.meetings.of_mention.get((sid, meeting))
                if mid is not None:
                    rows.append((ev_meeting, "statements", stid, "meeting_id", mid, sid, a, b, text, basis, rule))
            meeting_ids.append(mid or None)
            document_ids.append(did)
            if did is not None or mid is not None:
                spans.setdefault(sid, []).extend((a, b, f"statements:{stid}"))
        for name, values in (("meeting_id", meeting_ids), ("document_id", document_ids)):
            part = part.set_column(schema.get_field_index(name), name, pa.array(values, pa.string()))
        self.local.replace(p, "statements", part)
        self.local.replace(p, LINK_EVIDENCE, self._evidence_table(rows))
        return spans

    def _evidence_table(self, rows: list[tuple]):
        """Evidence rows (tuples in column order) as an Arrow table: far smaller than the tuples."""
        import pyarrow as pa

        schema = bare_schema("evidence")
        return pa.Table.from_arrays([pa.array(values, f.type) for f, values in zip(schema, zip(*rows))] if rows
                                    else [pa.array([], f.type) for f in schema], schema=schema)

    # -- evidence and coverage
    def _records(self):
        """Every merged record as (table, record id, Fielded), in a fixed order."""
        yield from (("meetings", mid, f) for mid, f in self.meetings.records.items())
        yield from (("documents", did, f) for did, f in self.documents.records.items())
        yield from (("document_signatories", "|".join(k), f) for k, f in self.documents.signatories.items())

    def _record_evidence(self) -> tuple[list[tuple], dict[str, list]]:
        """The evidence rows of the merged records, and the spans they rest on by source (for coverage).

        One row per value and span; a value stated or inferred again and again (a meeting named in
        many sources) keeps its first EVIDENCE_PER_VALUE spans per rule, in source order; coverage
        still counts every occurrence. Spans come flat per source (start, end, user, start, ...): no tuple each.
        With two workers or more and EVIDENCE_SHARED_FROM evidence objects, a forked child does the
        records after the one that halves them meanwhile (the other core is idle here), and the
        halves are joined in record order."""
        records = list(self._records())
        weights = list(itertools.accumulate(sum(map(len, f.evidence.values())) for _, _, f in records))
        half = bisect.bisect_left(weights, weights[-1] / 2) + 1 if records else 0
        parallel = (self.workers > 1 and self.local.folder is not None and weights and weights[-1] >= EVIDENCE_SHARED_FROM
                    and 0 < half < len(records))
        other = Forked(record_evidence, records[half:], self.texts) if parallel else None
        rows, by_source = record_evidence(records if other is None else records[:half], self.texts)
        if other is not None:
            more_rows, more_spans = other.result()
            rows += more_rows
            for sid, spans in more_spans.items():
                if sid in by_source:
                    by_source[sid] += spans
                else:
                    by_source[sid] = spans
        return rows, by_source

    def _coverage(self, p: int, link_spans: dict[str, list]) -> None:
        """Part p's coverage, with the sentences that records of the whole corpus, and its statements'
        links, rest on added (in place)."""
        batch = self.local.read(p, "coverage")
        spans_of = lambda sid: self.record_spans.get(sid, []) + link_spans.get(sid, [])  # noqa: E731
        self.local.replace(p, "coverage", with_more_users(batch, spans_of))
