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
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from pipeline.errors import Issue
from pipeline.extract import DocumentMention, Extraction, MeetingMention, StatementMention, Val
from pipeline.reference import ChronologyEntry, Reference, fold_name

EVIDENCE_PER_VALUE = 3
BASIS_RANK = {"stated": 0, "inferred": 1, "reference": 2}
STATUS_RANK = {"adopted": 0, "signed": 1, "approved": 2, "proposed": 3, "mentioned": 4}
BODY_LABELS = {"heads_of_state": "Council of Heads of State", "heads_of_government": "Council of Heads of Government",
               "foreign_ministers": "Council of Foreign Ministers", "other": "SCO (other body)"}


@dataclass
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

    values: dict = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)

    def put(self, name: str, value, ev: Ev | list[Ev], overwrite: bool = False) -> None:
        """Set a field unless already set with an equal or better basis."""
        evs = ev if isinstance(ev, list) else [ev]
        if value is None:
            return
        old = self.values.get(name)
        if old is None or overwrite:
            self.values[name] = value
            self.evidence[name] = list(evs)
        elif old == value:
            self.evidence[name].extend(evs)  # duplicates collapse when evidence rows are keyed

    def get(self, name: str):
        """The value of a field, or None."""
        return self.values.get(name)


@dataclass
class Resolved:
    """Rows of every table (lists of dicts in schema column names), and the problems found."""

    tables: dict[str, list[dict]]
    warnings: list[Issue]


def resolve(extractions: list[Extraction], ref: Reference) -> Resolved:
    """Merge mentions into records, fill from the chronology, build evidence and coverage."""
    return _Resolver(extractions, ref).run()


def _ev(source_id: str, v: Val, basis: str | None = None, rule: str | None = None) -> Ev:
    return Ev(source_id, v.start, v.end, basis or v.basis, rule or v.rule)


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def _hash_id(prefix: str, *parts) -> str:
    digest = hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()
    return f"{prefix}_{digest[:12]}"


def _norm_title(title: str) -> str:
    return " ".join(_slug(title).split("_"))


class _Resolver:
    def __init__(self, extractions: list[Extraction], ref: Reference):
        self.ex = extractions
        self.ref = ref
        self.warnings: list[Issue] = []
        self.meetings: dict[str, Fielded] = {}
        self.meeting_of_mention: dict[tuple, str | None] = {}
        self.mention_chron: dict[tuple, ChronologyEntry | None] = {}
        self.documents: dict[str, Fielded] = {}
        self.doc_of_mention: dict[tuple, str] = {}
        self.signatories: dict[tuple[str, str], Fielded] = {}
        self.statements: dict[str, Fielded] = {}
        self.statement_themes: dict[tuple[str, str], Fielded] = {}
        self.occurrences: dict[tuple[str, str], int] = {}
        self.renamed: dict[str, str] = {}
        self.chronology_cache: dict[tuple, list[ChronologyEntry]] = {}

    def run(self) -> Resolved:
        """Records of every table from all the mentions."""
        for x in self.ex:
            self.warnings.extend(x.warnings)
            for m in x.meetings:
                self._meeting(x, m)
        self._merge_placeless_meetings()
        for x in self.ex:
            for d in x.documents:
                if d.antecedent is None:
                    self._document(x, d)
            for d in x.documents:
                if d.antecedent is not None:
                    self.doc_of_mention[d.key] = self.doc_of_mention.get(d.antecedent)
            for st in x.statements:
                self._statement(x, st)
        tables = {
            "sources": [self._source_row(x) for x in self.ex],
            "meetings": [self._meeting_row(mid, f) for mid, f in self.meetings.items()],
            "documents": [dict(document_id=did, **{k: f.get(k) for k in
                                                    ("title", "doc_type", "meeting_id", "date", "year", "status")})
                          for did, f in self.documents.items()],
            "document_signatories": [dict(document_id=k[0], country_code=k[1], role=f.get("role"),
                                          name_as_written=f.get("name_as_written"))
                                     for k, f in self.signatories.items()],
            "statements": [dict(statement_id=sid, **{k: f.get(k) for k in
                                                     ("text", "kind", "speaker", "meeting_id", "document_id",
                                                      "source_id", "char_start", "char_end", "is_truncated")})
                           for sid, f in self.statements.items()],
            "themes": [dict(theme_id=t.theme_id, label=t.label, description=t.description,
                            parent_theme_id=t.parent_theme_id, signal_terms=" | ".join(t.terms))
                       for t in self.ref.themes],
            "statement_themes": [dict(statement_id=k[0], theme_id=k[1], matched_terms=f.get("matched_terms"),
                                      basis=f.get("basis"), rule_id=f.get("rule_id"))
                                 for k, f in self.statement_themes.items()],
        }
        tables["evidence"] = self._evidence()
        tables["coverage"] = self._coverage()
        return Resolved(tables, self.warnings)

    # -- sources
    def _source_row(self, x: Extraction) -> dict:
        s = x.source
        return dict(source_id=s.source_id, path=s.path, sha256=s.sha256, title=s.title, license=s.license,
                    published_date=s.published_date, n_chars=len(s.text))

    # -- meetings
    def _meeting(self, x: Extraction, m: MeetingMention) -> None:
        sid = x.source.source_id
        rec = Fielded()
        for name in ("body", "ordinal", "city", "country_code", "is_virtual"):
            v = getattr(m, name)
            if v is not None:
                rec.put(name, v.value, _ev(sid, v))
        if m.year is not None:
            rec.put("year", m.year.value, _ev(sid, m.year))
        date = m.date
        if not any(rec.get(k) for k in ("ordinal", "city", "country_code", "year", "is_virtual")) and not (date and date.month):
            self.meeting_of_mention[m.key] = None  # a council named with nothing that identifies the meeting
            return
        entry = self._chronology_match(x, m, rec)
        self.mention_chron[m.key] = entry
        sentence = Ev(sid, m.sentence[0], m.sentence[1], "inferred", "chronology_unique_match")
        if entry is not None:
            for name in ("body", "ordinal", "year", "country_code"):
                rec.put(name, getattr(entry, name), sentence)
            if not entry.is_virtual:
                rec.put("city", entry.city, sentence)
            rec.put("is_virtual", entry.is_virtual, sentence)
        if rec.get("year") is None and date and date.month and x.source.published_date:
            rec.put("year", int(x.source.published_date[:4]),
                    Ev(sid, date.start, date.end, "inferred", "year_from_source_date"))
        self._meeting_dates(sid, m, rec, entry)
        if m.implied and rec.get("year") is None:
            self.meeting_of_mention[m.key] = None
            return
        if rec.get("is_virtual") is None and rec.get("city") is not None:
            city = rec.evidence["city"][0]
            rec.put("is_virtual", False, Ev(city.source_id, city.start, city.end, "inferred", "in_person_when_city"))
        mid = self._meeting_id(rec)
        self._merge_meeting(mid, rec)
        self.meeting_of_mention[m.key] = mid

    def _meeting_dates(self, sid: str, m: MeetingMention, rec: Fielded, entry: ChronologyEntry | None) -> None:
        d = m.date
        year = rec.get("year")
        if d is not None and d.day and year:
            basis = "stated" if d.year else "inferred"
            rule = "date_in_meeting_sentence" if d.year else "date_year_from_chronology"
            try:
                start = dt.date(year, d.month, d.day)
                end = dt.date(d.end_year or year, d.end_month or d.month, d.end_day or d.day)
            except ValueError:
                return
            ev = Ev(sid, d.start, d.end, basis, rule)
            rec.put("start_date", start.isoformat(), ev)
            rec.put("end_date", end.isoformat(), ev)
            rec.put("date_precision", "day", ev)
        elif entry is not None:
            ev = Ev(sid, m.sentence[0], m.sentence[1], "inferred", "chronology_unique_match")
            rec.put("start_date", entry.start_date.isoformat(), ev)
            rec.put("end_date", entry.end_date.isoformat(), ev)
            rec.put("date_precision", "day", ev)
        elif d is not None and d.month and year:
            ev = Ev(sid, d.start, d.end, "stated" if d.year else "inferred",
                    "date_in_meeting_sentence" if d.year else "year_from_source_date")
            last = calendar.monthrange(year, d.month)[1]
            rec.put("start_date", dt.date(year, d.month, 1).isoformat(), ev)
            rec.put("end_date", dt.date(year, d.month, last).isoformat(), ev)
            rec.put("date_precision", "month", ev)
        elif year:
            rec.put("date_precision", "year", rec.evidence["year"])

    def _chronology_match(self, x: Extraction, m: MeetingMention, rec: Fielded) -> ChronologyEntry | None:
        d = m.date
        signature = (tuple(rec.get(k) for k in ("body", "year", "ordinal", "city", "country_code", "is_virtual")),
                     (d.month, d.day) if d is not None else None)
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
        target = self.meetings.setdefault(mid, Fielded())
        for name, value in rec.values.items():
            old = target.get(name)
            if old is not None and old != value:
                new_best = min(BASIS_RANK[e.basis] for e in rec.evidence[name])
                old_best = min(BASIS_RANK[e.basis] for e in target.evidence[name])
                if new_best < old_best:
                    target.put(name, value, rec.evidence[name], overwrite=True)
                elif new_best == old_best == 0:
                    e = rec.evidence[name][0]
                    self.warnings.append(Issue(e.source_id, "mention_conflict",
                                               f"meeting {mid}: {name} stated as {old!r} and as {value!r}; the first is kept"))
                continue
            target.put(name, value, rec.evidence[name])

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
        body = BODY_LABELS.get(row["body"]) if row["body"] else None
        ordinal = (f"{_ordinal_word(row['ordinal'])} meeting of the " if row["ordinal"] else "Meeting of the ") if body \
            else "SCO meeting"
        body = body or ""
        where = row["city"] or ("videoconference" if row["is_virtual"] else None)
        row["label"] = ordinal + body + "".join(f", {p}" for p in (where, row["year"]) if p)
        return dict(meeting_id=mid, **row)

    def _chronology_meeting(self, entry: ChronologyEntry, ev: Ev) -> str:
        rec = Fielded()
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
    def _document(self, x: Extraction, d: DocumentMention) -> None:
        sid = x.source.source_id
        rec = Fielded()
        rec.put("title", d.title.value, _ev(sid, d.title))
        rec.put("doc_type", d.doc_type.value, _ev(sid, d.doc_type))
        rec.put("status", d.status.value, _ev(sid, d.status))
        if d.date is not None:
            rec.put("date", d.date.value, _ev(sid, d.date))
        if d.year is not None:
            rec.put("year", d.year.value, _ev(sid, d.year))
        mid = self.meeting_of_mention.get(d.meeting) if d.meeting else None
        if mid is not None:
            basis = "stated" if d.meeting_rule == "doc_meeting_same_sentence" else "inferred"
            rec.put("meeting_id", mid, Ev(sid, d.sentence[0], d.sentence[1], basis, d.meeting_rule))
        else:
            entry, rule = self._chronology_for_document(d)
            if entry is not None:
                ev = Ev(sid, d.title.start, d.title.end, "inferred", rule)
                rec.put("meeting_id", self._chronology_meeting(entry, ev), ev)
        mid = rec.get("meeting_id")
        if mid is not None:
            meeting = self.meetings[mid]
            mev = Ev(sid, d.title.start, d.title.end, "inferred", "doc_year_from_meeting")
            rec.put("year", meeting.get("year"), mev)
            if rec.get("date") is None and meeting.get("start_date") and meeting.get("start_date") == meeting.get("end_date") \
                    and meeting.get("date_precision") == "day":
                rec.put("date", meeting.get("start_date"), Ev(sid, d.title.start, d.title.end, "inferred", "doc_date_from_meeting"))
        did = _hash_id("doc", _norm_title(d.title.value), mid or rec.get("year") or "undated")
        target = self.documents.get(did)
        if target is None:
            self.documents[did] = rec
        else:
            for name, value in rec.values.items():
                if name == "status" and STATUS_RANK[value] < STATUS_RANK[target.get("status")]:
                    target.put(name, value, rec.evidence[name], overwrite=True)
                else:
                    target.put(name, value, rec.evidence[name])
        self.doc_of_mention[d.key] = did
        for sig in d.signatories:
            key = (did, sig.country_code)
            srec = self.signatories.setdefault(key, Fielded())
            ev = Ev(sid, sig.start, sig.end, sig.basis, sig.rule)
            srec.put("country_code", sig.country_code, [ev, Ev(sid, sig.start, sig.end, "reference", "state_name_to_iso3")])
            srec.put("role", sig.role, ev)
            srec.put("name_as_written", sig.name, ev)

    def _chronology_for_document(self, d: DocumentMention) -> tuple[ChronologyEntry | None, str]:
        if d.date is not None:
            day = dt.date.fromisoformat(d.date.value)
            hits = [c for c in self.ref.chronology if c.start_date <= day <= c.end_date]
            if len(hits) == 1:
                return hits[0], "doc_date_in_chronology"
        words = set(_norm_title(d.title.value).split()) - {"the", "of", "on", "and", "sco", "in", "for"}
        if len(words) >= 2:
            hits = []
            for c in self.ref.chronology:
                if d.year is not None and c.year != d.year.value:
                    continue
                for title in c.main_documents:
                    theirs = set(_norm_title(title).split()) - {"the", "of", "on", "and", "sco", "in", "for"}
                    if words == theirs:
                        hits.append(c)
            if len(hits) == 1:
                return hits[0], "doc_title_in_chronology"
        return None, ""

    # -- statements
    def _statement(self, x: Extraction, st: StatementMention) -> None:
        sid = x.source.source_id
        text = " ".join(x.source.text[st.start:st.end].split())
        n = self.occurrences.get((sid, text), 0)  # the same words twice in one source: 2nd occurrence
        self.occurrences[(sid, text)] = n + 1
        stid = _hash_id("st", sid, text, n)
        rec = Fielded()
        span = Ev(sid, st.start, st.end, "stated", st.rule)
        rec.put("kind", st.kind, span)
        rec.put("is_truncated", st.is_truncated, span)
        # the row is its own evidence for its text and span: no evidence rows repeat them
        rec.values.update(text=text, source_id=sid, char_start=st.start, char_end=st.end)
        if st.speaker is not None:
            rec.put("speaker", st.speaker.value, _ev(sid, st.speaker))
        did = self.doc_of_mention.get(st.document) if st.document else None
        link_basis = self.ref.rules.get(st.link_rule or "", {}).get("basis", "inferred")
        a, b = st.link_span or (st.start, st.end)
        if did is not None:
            rec.put("document_id", did, Ev(sid, a, b, link_basis, st.link_rule))
            doc_meeting = self.documents[did].get("meeting_id")
            if doc_meeting:
                rec.put("meeting_id", doc_meeting, Ev(sid, a, b, "inferred", "statement_meeting_from_document"))
        else:
            mid = self.meeting_of_mention.get(st.meeting) if st.meeting else None
            if mid is not None:
                rec.put("meeting_id", mid, Ev(sid, a, b, link_basis, st.link_rule))
        self.statements[stid] = rec
        for theme_id, hits in st.themes.items():
            terms = []
            for h in hits:
                if h.value.lower() not in [t.lower() for t in terms]:
                    terms.append(" ".join(h.value.split()))
            trec = Fielded()
            trec.put("theme_id", theme_id, [_ev(sid, h) for h in hits])
            trec.put("matched_terms", " | ".join(terms), _ev(sid, hits[0]))
            trec.put("basis", hits[0].basis, _ev(sid, hits[0]))
            trec.put("rule_id", hits[0].rule, _ev(sid, hits[0]))
            self.statement_themes[(stid, theme_id)] = trec

    # -- evidence and coverage
    def _spans(self):
        """Every (table, record id, field, value, evidence) of every record, in a fixed order."""
        groups = (("meetings", self.meetings.items()), ("documents", self.documents.items()),
                  ("document_signatories", (("|".join(k), f) for k, f in self.signatories.items())),
                  ("statements", self.statements.items()),
                  ("statement_themes", (("|".join(k), f) for k, f in self.statement_themes.items())))
        for table, items in groups:
            for rid, f in items:
                for name, evs in f.evidence.items():
                    if table == "statement_themes" and name != "theme_id":
                        continue  # the link's other columns describe the same match
                    for e in evs:
                        yield table, rid, name, f.get(name), e

    def _evidence(self) -> list[dict]:
        """One row per value and span; a value stated or inferred again and again (a meeting named in
        many sources) keeps its first EVIDENCE_PER_VALUE spans per rule, in source order; coverage
        still counts every occurrence."""
        texts = {x.source.source_id: x.source.text for x in self.ex}
        rows = {}
        kept: dict[tuple, int] = {}
        for table, rid, name, value, e in self._spans():
            eid = _hash_id("ev", table, rid, name, e.source_id, e.start, e.end, e.rule)
            if eid in rows:
                continue
            group = (table, rid, name, e.rule)
            if kept.get(group, 0) >= EVIDENCE_PER_VALUE:
                continue
            kept[group] = kept.get(group, 0) + 1
            rows[eid] = dict(evidence_id=eid, table_name=table, record_id=rid, field=name,
                             value=str(value).lower() if isinstance(value, bool) else str(value),
                             source_id=e.source_id, char_start=e.start, char_end=e.end,
                             span_text=" ".join(texts[e.source_id][e.start:e.end].split()),
                             basis=e.basis, rule_id=e.rule)
        return list(rows.values())

    def _coverage(self) -> list[dict]:
        by_source: dict[str, list[tuple[int, int, str]]] = {}
        for table, rid, _name, _value, e in self._spans():
            by_source.setdefault(e.source_id, []).append((e.start, e.end, f"{table}:{rid}"))
        rows = []
        for x in self.ex:
            sid = x.source.source_id
            users_of = _overlaps(x.sentences, by_source.get(sid, []))
            for n, (a, b) in enumerate(x.sentences, start=1):
                users = users_of[n - 1]
                rows.append(dict(source_id=sid, sentence_no=n, char_start=a, char_end=b,
                                 text=" ".join(x.source.text[a:b].split()), is_used=bool(users),
                                 used_by=" | ".join(sorted(users)) or None))
        return rows


def _overlaps(sentences: list[tuple[int, int]], spans: list[tuple[int, int, str]]) -> list[set[str]]:
    """For each sentence (sorted, disjoint), the records whose spans overlap it; a sweep, not a product."""
    users: list[set[str]] = [set() for _ in sentences]
    starts = [a for a, _ in sentences]
    for a, b, who in spans:
        i = max(bisect.bisect_right(starts, a) - 1, 0)
        while i < len(sentences) and sentences[i][0] < max(b, a + 1):
            if sentences[i][1] > a:
                users[i].add(who)
            i += 1
    return users


def _ordinal_word(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
