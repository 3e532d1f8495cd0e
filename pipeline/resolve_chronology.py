"""Resolve, with the reference chronology: which chronology meeting a meeting mention or a document
points to, if exactly one; a mention that contradicts the one candidate is reported."""

from __future__ import annotations

import datetime as dt

from pipeline.errors import Issue
from pipeline.mentions import DocumentMention, MeetingMention
from pipeline.lexicon import Rule
from pipeline.provenance import Fielded, norm_title
from pipeline.reference import ChronologyEntry, Reference, fold_name
from pipeline.rulebook import rulebook_for


class ChronologyLookup:
    """The chronology meeting a mention agrees with; each signature is looked up once."""

    def __init__(self, ref: Reference, warnings: list[Issue]):
        self.ref, self.rules, self.warnings = ref, rulebook_for(ref), warnings
        self.meeting_cache: dict[tuple, list[ChronologyEntry]] = {}
        self.document_cache: dict[tuple, tuple[list[ChronologyEntry], list[ChronologyEntry]]] = {}

    def meeting(self, x, m: MeetingMention, rec: Fielded) -> ChronologyEntry | None:
        d, values = m.date, rec.values
        signature = ((values.get("body"), values.get("year"), values.get("ordinal"), values.get("city"),
                      values.get("country_code"), values.get("is_virtual")), (d.month, d.day) if d is not None else None)
        if signature not in self.meeting_cache:  # repeated mentions of one meeting are matched once
            self.meeting_cache[signature] = [c for c in self.ref.chronology if self._agrees(c, m, rec)]
        cands = self.meeting_cache[signature]
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

    def document(self, d: DocumentMention, named_here) -> tuple[ChronologyEntry | None, Rule | None]:
        """The one chronology meeting a document's date or title points to, and the rule that found it;
        `named_here(entry)` says whether the document's source names that meeting itself."""
        key = (d.date.value if d.date else None, d.title.value, d.year.value if d.year else None)
        if key not in self.document_cache:  # a document named again and again is matched once
            by_date = self._by_date(d)
            self.document_cache[key] = (by_date, [] if by_date else self._by_title(d))
        by_date, by_title = self.document_cache[key]
        rule = self.rules.choose("chronology_document", {
            "date_in_chronology": bool(by_date), "title_in_chronology": len(by_title) == 1,
            "status_verb": d.status.value != self.ref.codes.statuses.default,
            "meeting_in_source": lambda: len(by_title) == 1 and named_here(by_title[0])})
        return (by_date or by_title)[0] if rule else None, rule

    def _by_date(self, d: DocumentMention) -> list[ChronologyEntry]:
        """The chronology meeting whose days hold the document's date, where exactly one does."""
        if d.date is None:
            return []
        day = dt.date.fromisoformat(d.date.value)
        hits = [c for c in self.ref.chronology if c.start_date <= day <= c.end_date]
        return hits if len(hits) == 1 else []

    def _by_title(self, d: DocumentMention) -> list[ChronologyEntry]:
        """The chronology meetings that list the document's title (its words but the stop words) as a main document."""
        hits = []
        stop = set(self.ref.lexicon.title_stop_words)
        words = set(norm_title(d.title.value).split()) - stop
        if len(words) >= 2:
            for c in self.ref.chronology:
                if d.year is not None and c.year != d.year.value:
                    continue
                for title in c.main_documents:
                    theirs = set(norm_title(title).split()) - stop
                    if words == theirs:
                        hits.append(c)
        return hits
