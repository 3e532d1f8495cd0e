"""Resolve: turn mentions from every source into records with stable IDs and value-level evidence.

Mentions of one meeting (in one source or many) become one row. What the text leaves out is
filled from the reference chronology when exactly one chronology meeting agrees with all that
the text states; such values are marked inferred, with the rule that produced them. A conflict
between the text and the chronology keeps the text and is reported, never overwritten.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from pipeline.errors import Issue
from pipeline.extract import DocumentMention, MeetingMention, Val
from pipeline.ingest import SourceText
from pipeline.runtime import Forked, forked_map
from pipeline.reference import ChronologyEntry, Reference, fold_name
from pipeline.lexicon import Rule
from pipeline.rulebook import rulebook_for
from pipeline.source_rows import (EVIDENCE_PER_VALUE, RowParts, SourceRows, bare_schema,
                                  combine_rows, evidence_value, hash_id, sentence_users)

# records' evidence objects from which a forked child takes half of them (below, forking and handing
# the spans back cost more than they save: 0.5 million at 10 MB, 0.26 -> 0.38 s; 5.3 million at
# 100 MB, 3.8 -> 2.3 s)
EVIDENCE_SHARED_FROM = 1_000_000
LINK_EVIDENCE = "link_evidence"  # each part's evidence rows of its statements' links to records


@dataclass(slots=True)
class Ev:
    """Evidence for one value: where it rests and how it was concluded."""

    source_id: str
    start: int
    end: int
    basis: str
    rule: str


@dataclass
class Fielded:
    """A record under construction: each field's value and the evidence for it."""

    basis_rank: dict  # each basis's place in reference/codes.yaml's list, best first
    values: dict = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)
    best: dict = field(default_factory=dict)  # the best basis rank among each field's evidence

    def put(self, name: str, value, ev: Ev | list[Ev], overwrite: bool = False) -> None:
        """Set a field unless already set with an equal or better basis."""
        if value is None:
            return
        if ev.__class__ is Ev:
            old = self.values.get(name)
            if old is None or overwrite:  # as add() does, inline: the commonest call of a build
                self.values[name], self.evidence[name], self.best[name] = value, [ev], self.basis_rank[ev.basis]
            elif old == value:
                self.evidence[name].append(ev)
                self.best[name] = min(self.best[name], self.basis_rank[ev.basis])
        else:
            self.add(name, value, ev, min(self.basis_rank[e.basis] for e in ev), overwrite)

    def add(self, name: str, value, evs: list[Ev], rank: int, overwrite: bool = False) -> None:
        """put, for evidence whose best basis rank is known (another record's field, when merging)."""
        old = self.values.get(name)
        if old is None or overwrite:
            self.values[name] = value
            self.evidence[name] = list(evs)
            self.best[name] = rank
        elif old == value:
            self.evidence[name].extend(evs)  # duplicates collapse when evidence rows are keyed
            if rank < self.best[name]:
                self.best[name] = rank

    def get(self, name: str):
        """The value of a field, or None."""
        return self.values.get(name)


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


def _ev(source_id: str, v: Val) -> Ev:
    """Evidence for a value as its mention read it."""
    return Ev(source_id, v.start, v.end, v.basis, v.rule)


def _by(source_id: str, start: int, end: int, rule: Rule) -> Ev:
    """Evidence for a value a rule concluded from a span: the rule's basis and id."""
    return Ev(source_id, start, end, rule.basis, rule.rule_id)


@functools.lru_cache(maxsize=65536)  # the same places and titles recur in every source
def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


@functools.lru_cache(maxsize=65536)
def _norm_title(title: str) -> str:
    return " ".join(_slug(title).split("_"))


class _Resolver:
    def __init__(self, ref: Reference, workers: int = 1):
        self.ex: list[_Item] = []
        self.workers = workers
        self.record_spans: dict[str, list] = {}  # per source, the spans records rest on (flat: start, end, user, ...)
        self.local: RowParts | None = None  # the sources' own rows, once every source has come
        self.texts: dict[str, str] = {}
        self.ref = ref
        self.basis_rank, self.status_rank = ref.codes.bases.rank, ref.codes.statuses.rank
        self.rules = rulebook_for(ref)
        self.warnings: list[Issue] = []
        self.meetings: dict[str, Fielded] = {}
        self.meeting_of_mention: dict[tuple, str | None] = {}
        self.documents: dict[str, Fielded] = {}
        self.doc_of_mention: dict[tuple, str] = {}
        self.signatories: dict[tuple[str, str], Fielded] = {}
        self.renamed: dict[str, str] = {}
        self.chronology_cache: dict[tuple, list[ChronologyEntry]] = {}
        self.document_chronology_cache: dict[tuple, tuple[ChronologyEntry | None, str]] = {}

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
            undated = []  # "the summit in <city>", undated: read once the source's dated meetings are known
            for m in rows.meetings:
                if m.year is None and m.date is None and m.ordinal is None and m.body is not None and m.city is not None:
                    undated.append(m)
                else:
                    self._meeting(x, m, {})
            years = self._one_year_each(rows.meetings) if undated else {}
            for m in undated:
                self._meeting(x, m, years)
            rows.meetings = []  # merged: let go (mentions are most of a large build's memory)
        if own is not None:
            local = RowParts()
            local.add(combine_rows(own))
        self.local = local
        self._merge_placeless_meetings()
        for x in self.ex:
            for d in x.rows.documents:
                if d.antecedent is None:
                    self._document(x, d)
            for d in x.rows.documents:
                if d.antecedent is not None:
                    self.doc_of_mention[d.key] = self.doc_of_mention.get(d.antecedent)
            x.rows = None
        tables = {
            "sources": [self._source_row(x) for x in self.ex],
            "meetings": [self._meeting_row(mid, f) for mid, f in self.meetings.items()],
            "documents": [dict(document_id=did, **{k: f.get(k) for k in
                                                    ("title", "doc_type", "meeting_id", "date", "year", "status")})
                          for did, f in self.documents.items()],
            "document_signatories": [dict(document_id=k[0], country_code=k[1], role=f.get("role"),
                                          name_as_written=f.get("name_as_written"))
                                     for k, f in self.signatories.items()],
            "themes": [dict(theme_id=t.theme_id, label=t.label, description=t.description,
                            parent_theme_id=t.parent_theme_id, signal_terms=" | ".join(t.terms))
                       for t in self.ref.themes],
        }
        rows, self.record_spans = self._record_evidence()
        self.local.append("evidence", self._evidence_table(rows))
        del rows
        self._each_part()
        return Resolved(tables, self.warnings, self.local)

    # -- sources
    def _source_row(self, x: _Item) -> dict:
        s = x.source
        return dict(source_id=s.source_id, path=s.path, sha256=s.sha256, title=s.title, license=s.license,
                    published_date=s.published_date, n_chars=len(s.text))

    # -- meetings
    def _one_year_each(self, meetings: list[MeetingMention]) -> dict[tuple, tuple[int, int, int]]:
        """For each council and city of a meeting the source dates (itself or through the chronology), that
        year and the sentence of its first mention, where the source gives that council and city one year only."""
        years: dict[tuple, list[tuple[int, int, int]]] = {}
        for m in meetings:
            rec = self.meetings.get(self.meeting_of_mention.get(m.key))
            if rec is not None and m.body is not None and m.city is not None and rec.get("year"):
                years.setdefault((m.body.value, m.city.value), []).append((rec.get("year"), *m.sentence))
        return {key: found[0] for key, found in years.items() if len({year for year, _, _ in found}) == 1}

    def _meeting(self, x: _Item, m: MeetingMention, years: dict) -> None:
        sid = x.source.source_id
        rec = Fielded(self.basis_rank)
        for name in ("body", "ordinal", "city", "country_code", "is_virtual"):
            v = getattr(m, name)
            if v is not None:
                rec.put(name, v.value, _ev(sid, v))
        if m.year is not None:
            rec.put("year", m.year.value, _ev(sid, m.year))
        elif m.date is None and m.body is not None and m.city is not None and (m.body.value, m.city.value) in years:
            # "the summit in <city>", undated, in a source that dates that summit: the same meeting
            year, a, b = years[(m.body.value, m.city.value)]
            rec.put("year", year, _by(sid, a, b, self.rules.one("same_meeting_in_source")))
        date, values = m.date, rec.values
        if not (values.get("ordinal") or values.get("city") or values.get("country_code") or values.get("year")
                or values.get("is_virtual")) and not (date and date.month):
            self.meeting_of_mention[m.key] = None  # a council named with nothing that identifies the meeting
            return
        entry = self._chronology_match(x, m, rec)
        sentence = _by(sid, m.sentence[0], m.sentence[1], self.rules.one("chronology_match"))
        if entry is not None:
            for name in ("body", "ordinal", "year", "country_code"):
                rec.put(name, getattr(entry, name), sentence)
            if not entry.is_virtual:
                rec.put("city", entry.city, sentence)
            rec.put("is_virtual", entry.is_virtual, sentence)
        if rec.get("year") is None and date and date.month and x.source.published_date:
            rec.put("year", int(x.source.published_date[:4]),
                    _by(sid, date.start, date.end, self.rules.one("year_from_source")))
        self._meeting_dates(sid, m, rec, entry)
        if m.implied and rec.get("year") is None:
            self.meeting_of_mention[m.key] = None
            return
        if rec.get("is_virtual") is None and rec.get("city") is not None:
            city = rec.evidence["city"][0]
            rec.put("is_virtual", False, _by(city.source_id, city.start, city.end, self.rules.one("in_person")))
        mid = self._meeting_id(rec)
        self._merge_meeting(mid, rec)
        self.meeting_of_mention[m.key] = mid

    def _meeting_dates(self, sid: str, m: MeetingMention, rec: Fielded, entry: ChronologyEntry | None) -> None:
        d = m.date
        year = rec.get("year")
        if d is not None and d.day and year:
            rule = self.rules.choose("meeting_day", {"year_stated": bool(d.year)})
            try:
                start = dt.date(year, d.month, d.day)
                end = dt.date(d.end_year or year, d.end_month or d.month, d.end_day or d.day)
            except ValueError:
                return
            ev = _by(sid, d.start, d.end, rule)
            rec.put("start_date", start.isoformat(), ev)
            rec.put("end_date", end.isoformat(), ev)
            rec.put("date_precision", "day", ev)
        elif entry is not None:
            ev = _by(sid, m.sentence[0], m.sentence[1], self.rules.one("chronology_match"))
            rec.put("start_date", entry.start_date.isoformat(), ev)
            rec.put("end_date", entry.end_date.isoformat(), ev)
            rec.put("date_precision", "day", ev)
        elif d is not None and d.month and year:
            ev = _by(sid, d.start, d.end, self.rules.choose("meeting_month", {"year_stated": bool(d.year)}))
            last = calendar.monthrange(year, d.month)[1]
            rec.put("start_date", dt.date(year, d.month, 1).isoformat(), ev)
            rec.put("end_date", dt.date(year, d.month, last).isoformat(), ev)
            rec.put("date_precision", "month", ev)
        elif year:
            rec.put("date_precision", "year", rec.evidence["year"])

    def _chronology_match(self, x: _Item, m: MeetingMention, rec: Fielded) -> ChronologyEntry | None:
        d, values = m.date, rec.values
        signature = ((values.get("body"), values.get("year"), values.get("ordinal"), values.get("city"),
                      values.get("country_code"), values.get("is_virtual")), (d.month, d.day) if d is not None else None)
        if signature not in self.chronology_cache:  # repeated mentions of one meeting are matched once
            self.chronology_cache[signature] = [c for c in self.ref.chronology if self._agrees(c, m, rec)]
        cands = self.chronology_cache[signature]
        if len(cands) == 1:
            return cands[0]
        if cands:
            return None  # ambiguous: several chronology meetings fit; leave the gaps empty
        for key in ("year", "ordinal"):
            strong = [c for c in self.ref.chronology if rec.get("body") and c.body == rec.get("body")
                      and rec.get(key) is not None and getattr(c, key) == rec.get(key)]
            if len(strong) == 1:
                break
        if len(strong) == 1:
            c = strong[0]
            diffs = []
            for name, theirs in (("city", c.city), ("ordinal", c.ordinal), ("year", c.year), ("body", c.body)):
                ours = rec.get(name)
                if ours is not None and theirs is not None and ours != theirs:
                    diffs.append(f"{name} {ours!r} (chronology: {theirs!r})")
            if m.date and m.date.month and not (m.date.month in (c.start_date.month, c.end_date.month)):
                diffs.append(f"month {m.date.month} (chronology: {c.start_date.isoformat()})")
            if diffs:
                self.warnings.append(Issue(
                    x.source.where(m.sentence[0]), "chronology_conflict",
                    "the text disagrees with the reference chronology; the text's values are kept: " + "; ".join(diffs)))
        return None

    def _agrees(self, c: ChronologyEntry, m: MeetingMention, rec: Fielded) -> bool:
        if rec.get("body") is not None and c.body != rec.get("body"):
            return False
        if rec.get("year") is not None and c.year != rec.get("year"):
            return False
        if rec.get("ordinal") is not None and c.ordinal != rec.get("ordinal"):
            return False
        if rec.get("city") is not None and fold_name(c.city or "") != fold_name(rec.get("city")):
            # a virtual meeting has no city in the chronology; a city of its host country still fits it
            if not (c.city is None and c.is_virtual and c.country_code == rec.get("country_code")):
                return False
        if rec.get("city") is None and rec.get("country_code") is not None and c.country_code != rec.get("country_code"):
            return False
        if rec.get("is_virtual") is not None and c.is_virtual != rec.get("is_virtual"):
            return False
        d = m.date
        if d is not None and d.month:
            if d.day:
                days = {(c.start_date + dt.timedelta(n)).timetuple()[1:3]
                        for n in range((c.end_date - c.start_date).days + 1)}
                if (d.month, d.day) not in days:
                    return False
            elif d.month not in (c.start_date.month, c.end_date.month):
                return False
        return True

    def _meeting_id(self, rec: Fielded) -> str:
        place = rec.get("city") or ("virtual" if rec.get("is_virtual") else (rec.get("country_code") or "unknown"))
        return f"{rec.get('body') or 'unknown'}-{rec.get('year') or 'undated'}-{_slug(place)}"

    def _merge_meeting(self, mid: str, rec: Fielded) -> None:
        """Merge a record (made for one mention, and not used after) into the meeting `mid`."""
        target = self.meetings.get(mid)
        if target is None:
            self.meetings[mid] = rec  # the first mention of the meeting: its record is the meeting's
            return
        values, evidence, best = target.values, target.evidence, target.best
        for name, value in rec.values.items():  # Fielded.add, inline: once per field of every mention
            old, rank = values.get(name), rec.best[name]
            if old is None:
                values[name], evidence[name], best[name] = value, list(rec.evidence[name]), rank
            elif old == value:
                evidence[name].extend(rec.evidence[name])
                if rank < best[name]:
                    best[name] = rank
            elif rank < best[name]:  # never a scan of a growing list
                target.add(name, value, rec.evidence[name], rank, overwrite=True)
            elif rank == best[name] == 0:
                e = rec.evidence[name][0]
                self.warnings.append(Issue(e.source_id, "mention_conflict",
                                           f"meeting {mid}: {name} stated as {old!r} and as {value!r}; the first is kept"))

    def _merge_placeless_meetings(self) -> None:
        """A meeting known without a place joins the one meeting of the same council and year that has one."""
        for mid in [k for k in self.meetings if k.endswith("-unknown")]:
            rec = self.meetings[mid]
            peers = [k for k, f in self.meetings.items() if k != mid and not k.endswith("-unknown")
                     and f.get("body") == rec.get("body") and f.get("year") == rec.get("year") and rec.get("year")]
            if len(peers) == 1:
                self._merge_meeting(peers[0], rec)
                del self.meetings[mid]
                self.renamed[mid] = peers[0]
        if self.renamed:
            self.meeting_of_mention = {k: self.renamed.get(v, v) for k, v in self.meeting_of_mention.items()}

    def _meeting_row(self, mid: str, f: Fielded) -> dict:
        row = {k: f.get(k) for k in ("body", "ordinal", "city", "country_code", "is_virtual", "start_date",
                                      "end_date", "year")}
        row["date_precision"] = f.get("date_precision") or ("year" if f.get("year") else "unknown")
        body = self.ref.codes.bodies.labels.get(row["body"]) if row["body"] else None
        ordinal = (f"{_ordinal_word(row['ordinal'])} meeting of the " if row["ordinal"] else "Meeting of the ") if body \
            else "SCO meeting"
        body = body or ""
        where = row["city"] or ("videoconference" if row["is_virtual"] else None)
        row["label"] = ordinal + body + "".join(f", {p}" for p in (where, row["year"]) if p)
        return dict(meeting_id=mid, **row)

    def _chronology_meeting(self, entry: ChronologyEntry, ev: Ev) -> str:
        rec = Fielded(self.basis_rank)
        for name in ("body", "ordinal", "year", "country_code", "is_virtual"):
            rec.put(name, getattr(entry, name), ev)
        if entry.city:
            rec.put("city", entry.city, ev)
        rec.put("start_date", entry.start_date.isoformat(), ev)
        rec.put("end_date", entry.end_date.isoformat(), ev)
        rec.put("date_precision", "day", ev)
        mid = self._meeting_id(rec)
        self._merge_meeting(mid, rec)
        return mid

    # -- documents
    def _document(self, x: _Item, d: DocumentMention) -> None:
        sid = x.source.source_id
        rec = Fielded(self.basis_rank)
        rec.put("title", d.title.value, _ev(sid, d.title))
        rec.put("doc_type", d.doc_type.value, _ev(sid, d.doc_type))
        rec.put("status", d.status.value, _ev(sid, d.status))
        if d.date is not None:
            rec.put("date", d.date.value, _ev(sid, d.date))
        if d.year is not None:
            rec.put("year", d.year.value, _ev(sid, d.year))
        mid = self.meeting_of_mention.get(d.meeting) if d.meeting else None
        if mid is not None:
            rec.put("meeting_id", mid, _by(sid, d.sentence[0], d.sentence[1], self.ref.rules[d.meeting_rule]))
        else:
            key = (d.date.value if d.date else None, d.title.value, d.year.value if d.year else None)
            if key not in self.document_chronology_cache:  # a document named again and again is matched once
                self.document_chronology_cache[key] = self._chronology_for_document(d)
            entry, rule = self.document_chronology_cache[key]
            if entry is not None:
                ev = _by(sid, d.title.start, d.title.end, rule)
                rec.put("meeting_id", self._chronology_meeting(entry, ev), ev)
        mid = rec.get("meeting_id")
        if mid is not None:
            meeting = self.meetings[mid]
            mev = _by(sid, d.title.start, d.title.end, self.rules.one("document_year_from_meeting"))
            rec.put("year", meeting.get("year"), mev, overwrite=self._yields("year", rec, mev.rule))
            if rec.get("date") is None and meeting.get("start_date") and meeting.get("start_date") == meeting.get("end_date") \
                    and meeting.get("date_precision") == "day":
                rec.put("date", meeting.get("start_date"),
                        _by(sid, d.title.start, d.title.end, self.rules.one("document_date_from_meeting")))
        did = hash_id("doc", _norm_title(d.title.value), mid or rec.get("year") or "undated")
        target = self.documents.get(did)
        if target is None:
            self.documents[did] = rec
        else:
            for name, value in rec.values.items():
                target.add(name, value, rec.evidence[name], rec.best[name],
                           overwrite=name == "status" and self.status_rank[value] < self.status_rank[target.get("status")])
        self.doc_of_mention[d.key] = did
        for sig in d.signatories:
            key = (did, sig.country_code)
            srec = self.signatories.get(key)
            if srec is None:
                srec = self.signatories[key] = Fielded(self.basis_rank)
            ev = Ev(sid, sig.start, sig.end, sig.basis, sig.rule)
            rank = self.basis_rank[sig.basis]  # better than the reference basis of the name's code
            srec.add("country_code", sig.country_code, [ev, _by(sid, sig.start, sig.end, self.rules.one("state_code"))], rank)
            srec.add("role", sig.role, [ev], rank)
            srec.add("name_as_written", sig.name, [ev], rank)

    def _yields(self, name: str, rec: Fielded, rule_id: str) -> bool:
        """Whether every rule behind a field's value gives way to `rule_id` (its row's `yields_to`)."""
        evidence = rec.evidence.get(name)
        return bool(evidence) and all(rule_id in self.ref.rules[e.rule].yields_to for e in evidence)

    def _chronology_for_document(self, d: DocumentMention) -> tuple[ChronologyEntry | None, Rule | None]:
        """The one chronology meeting a document's date or title points to, and the rule that found it."""
        by_date = self._chronology_by_date(d)
        by_title = [] if by_date else self._chronology_by_title(d)
        rule = self.rules.choose("chronology_document", {"date_in_chronology": bool(by_date),
                                                         "title_in_chronology": len(by_title) == 1})
        return (by_date or by_title)[0] if rule else None, rule

    def _chronology_by_date(self, d: DocumentMention) -> list[ChronologyEntry]:
        """The chronology meeting whose days hold the document's date, where exactly one does."""
        if d.date is None:
            return []
        day = dt.date.fromisoformat(d.date.value)
        hits = [c for c in self.ref.chronology if c.start_date <= day <= c.end_date]
        return hits if len(hits) == 1 else []

    def _chronology_by_title(self, d: DocumentMention) -> list[ChronologyEntry]:
        """The chronology meetings that list the document's title (its words but the stop words) as a main document."""
        hits = []
        stop = set(self.ref.lexicon.title_stop_words)
        words = set(_norm_title(d.title.value).split()) - stop
        if len(words) >= 2:
            for c in self.ref.chronology:
                if d.year is not None and c.year != d.year.value:
                    continue
                for title in c.main_documents:
                    theirs = set(_norm_title(title).split()) - stop
                    if words == theirs:
                        hits.append(c)
        return hits

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
            did = self.doc_of_mention.get((sid, doc)) if doc is not None else None
            mid = None
            if did is not None:
                rows.append((ev_doc, "statements", stid, "document_id", did, sid, a, b, text, basis, rule))
                mid = self.documents[did].get("meeting_id")
                if mid:
                    rows.append((ev_doc_meeting, "statements", stid, "meeting_id", mid, sid, a, b, text,
                                 via_document.basis, via_document.rule_id))
            elif meeting is not None:
                mid = self.meeting_of_mention.get((sid, meeting))
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
        yield from (("meetings", mid, f) for mid, f in self.meetings.items())
        yield from (("documents", did, f) for did, f in self.documents.items())
        yield from (("document_signatories", "|".join(k), f) for k, f in self.signatories.items())

    def _evidence_row(self, table: str, rid: str, name: str, value, e: Ev) -> tuple:
        """An evidence row, its values in the evidence table's column order (a tuple: there are many)."""
        return (hash_id("ev", table, rid, name, e.source_id, e.start, e.end, e.rule), table, rid, name,
                evidence_value(value), e.source_id, e.start, e.end,
                " ".join(self.texts[e.source_id][e.start:e.end].split()), e.basis, e.rule)

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
        other = Forked(self._evidence_of, records[half:]) if parallel else None
        rows, by_source = self._evidence_of(records if other is None else records[:half])
        if other is not None:
            more_rows, more_spans = other.result()
            rows += more_rows
            for sid, spans in more_spans.items():
                if sid in by_source:
                    by_source[sid] += spans
                else:
                    by_source[sid] = spans
        return rows, by_source

    def _evidence_of(self, records: list) -> tuple[list[tuple], dict[str, list]]:
        """_record_evidence of these records (table, record id, Fielded)."""
        rows: list[tuple] = []
        by_source: dict[str, list] = {}
        for table, rid, f in records:
            who = f"{table}:{rid}"  # one string per record, shared by all its spans
            seen: set[tuple] = set()  # one meeting mention gives many fields one span: covered once
            for name, evs in f.evidence.items():
                for e in evs:
                    key = (e.source_id, e.start, e.end)  # with the rule, what the evidence id is made of
                    if key not in seen:
                        seen.add(key)
                        spans = by_source.get(e.source_id)
                        if spans is None:
                            by_source[e.source_id] = [e.start, e.end, who]
                        else:
                            spans += (e.start, e.end, who)
                value = f.values[name]
                kept: dict[str, list] = {}  # per rule: the span keys kept, at most EVIDENCE_PER_VALUE
                rules, full = len({e.rule for e in evs}), 0
                for e in evs:  # until every rule has its spans: a value found in every source stops early
                    keys = kept.get(e.rule)
                    if keys is None:
                        keys = kept[e.rule] = []
                    if len(keys) < EVIDENCE_PER_VALUE:
                        key = (e.source_id, e.start, e.end)
                        if key not in keys:
                            keys.append(key)
                            rows.append(self._evidence_row(table, rid, name, value, e))
                            if len(keys) == EVIDENCE_PER_VALUE:
                                full += 1
                                if full == rules:
                                    break
        return rows, by_source

    def _coverage(self, p: int, link_spans: dict[str, list]) -> None:
        """Part p's coverage, with the sentences that records of the whole corpus, and its statements'
        links, rest on added (in place)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        batch = self.local.read(p, "coverage")
        runs = pc.run_end_encode(batch.column("source_id").combine_chunks())  # a source's sentences are together
        starts, ends = batch.column("char_start").to_pylist(), batch.column("char_end").to_pylist()
        used_by = batch.column("used_by").to_pylist()
        lo = 0
        for sid, hi in zip(runs.values.to_pylist(), runs.run_ends.to_pylist()):  # a source at a time, sorted
            spans = self.record_spans.get(sid, []) + link_spans.get(sid, [])
            if spans:
                triples = zip(*[iter(spans)] * 3)
                for i, users in sentence_users(starts[lo:hi], ends[lo:hi], triples).items():
                    i += lo
                    if used_by[i]:
                        users.update(used_by[i].split(" | "))
                    used_by[i] = " | ".join(sorted(users))
            lo = hi
        batch = batch.set_column(batch.schema.get_field_index("used_by"), "used_by", pa.array(used_by, pa.string()))
        self.local.replace(p, "coverage", batch.set_column(batch.schema.get_field_index("is_used"), "is_used",
                                                           pa.array([u is not None for u in used_by], pa.bool_())))


def _ordinal_word(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
