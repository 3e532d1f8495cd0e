"""Resolve documents: the document mentions of every source merged into one record per document
(its meeting, year and date from that meeting), and the states that signed or founded each."""

from __future__ import annotations

from pipeline.errors import Issue
from pipeline.mentions import DocumentMention
from pipeline.provenance import Fielded, evidence_by, evidence_of_value, hash_id, norm_title
from pipeline.reference import Reference
from pipeline.resolve_chronology import ChronologyLookup
from pipeline.resolve_meetings import MeetingRecords
from pipeline.rulebook import rulebook_for


class DocumentRecords:
    """Document records by id, the record each mention became, and signatories by (document, state)."""

    def __init__(self, ref: Reference, warnings: list[Issue], chronology: ChronologyLookup, meetings: MeetingRecords):
        self.ref, self.rules, self.warnings = ref, rulebook_for(ref), warnings
        self.chronology, self.meetings = chronology, meetings
        self.basis_rank, self.status_rank = ref.codes.bases.rank, ref.codes.statuses.rank
        self.records: dict[str, Fielded] = {}
        self.of_mention: dict[tuple, str] = {}
        self.signatories: dict[tuple[str, str], Fielded] = {}

    def add(self, x, d: DocumentMention) -> None:
        sid = x.source.source_id
        rec = Fielded(self.basis_rank)
        rec.put("title", d.title.value, evidence_of_value(sid, d.title))
        rec.put("doc_type", d.doc_type.value, evidence_of_value(sid, d.doc_type))
        rec.put("status", d.status.value, evidence_of_value(sid, d.status))
        if d.date is not None:
            rec.put("date", d.date.value, evidence_of_value(sid, d.date))
        if d.year is not None:
            rec.put("year", d.year.value, evidence_of_value(sid, d.year))
        mid = self.meetings.of_mention.get(d.meeting) if d.meeting else None
        if mid is not None and self._dated_apart(d, mid):
            mid = None  # "the SCO Charter, adopted ... in 2002", spoken of at a later meeting: not that meeting's
        if mid is not None:
            rec.put("meeting_id", mid, evidence_by(sid, d.sentence[0], d.sentence[1], self.ref.rules[d.meeting_rule]))
        else:
            entry, rule = self.chronology.document(d, lambda entry: self.meetings.id_of(entry) in x.meeting_ids)
            if entry is not None:
                ev = evidence_by(sid, d.title.start, d.title.end, rule)
                rec.put("meeting_id", self.meetings.from_chronology(entry, ev), ev)
        mid = rec.get("meeting_id")
        if mid is not None:
            meeting = self.meetings.records[mid]
            mev = evidence_by(sid, d.title.start, d.title.end, self.rules.one("document_year_from_meeting"))
            rec.put("year", meeting.get("year"), mev, overwrite=self._yields("year", rec, mev.rule))
            if rec.get("date") is None and meeting.get("start_date") and meeting.get("start_date") == meeting.get("end_date") \
                    and meeting.get("date_precision") == "day":
                rec.put("date", meeting.get("start_date"),
                        evidence_by(sid, d.title.start, d.title.end, self.rules.one("document_date_from_meeting")))
        did = hash_id("doc", norm_title(d.title.value), mid or rec.get("year") or "undated")
        target = self.records.get(did)
        if target is None:
            self.records[did] = rec
        else:
            for name, value in rec.values.items():
                target.add(name, value, rec.evidence[name], rec.best[name],
                           overwrite=name == "status" and self.status_rank[value] < self.status_rank[target.get("status")])
        self.of_mention[d.key] = did
        for sig in d.signatories:
            key = (did, sig.country_code)
            srec = self.signatories.get(key)
            if srec is None:
                srec = self.signatories[key] = Fielded(self.basis_rank)
            ev = evidence_of_value(sid, sig)
            rank = self.basis_rank[sig.basis]  # better than the reference basis of the name's code
            srec.add("country_code", sig.country_code, [ev, evidence_by(sid, sig.start, sig.end, self.rules.one("state_code"))], rank)
            srec.add("role", sig.role, [ev], rank)
            srec.add("name_as_written", sig.name, [ev], rank)

    def _dated_apart(self, d: DocumentMention, mid: str) -> bool:
        """The text gives the document a year of its own that its meeting's year is not."""
        if d.year is None or self.rules.one("document_year_from_meeting").rule_id in self.ref.rules[d.year.rule].yields_to:
            return False
        year = self.meetings.records[mid].get("year")
        return d.date is None and year is not None and year != d.year.value

    def _yields(self, name: str, rec: Fielded, rule_id: str) -> bool:
        """Whether every rule behind a field's value gives way to `rule_id` (its row's `yields_to`)."""
        evidence = rec.evidence.get(name)
        return bool(evidence) and all(rule_id in self.ref.rules[e.rule].yields_to for e in evidence)
