"""Resolve meetings: the meeting mentions of every source merged into one record per meeting, with
what the reference chronology fills in (marked inferred) and the conflicts it reveals."""

from __future__ import annotations

import calendar
import datetime as dt

from pipeline.errors import Issue
from pipeline.mentions import MeetingMention
from pipeline.provenance import Ev, Fielded, evidence_by, evidence_of_value, slug
from pipeline.reference import ChronologyEntry, Reference
from pipeline.resolve_chronology import ChronologyLookup
from pipeline.rulebook import rulebook_for


class MeetingRecords:
    """Meeting records by id, and the record each mention (source, key) became (None: a council named
    with nothing that identifies the meeting)."""

    def __init__(self, ref: Reference, warnings: list[Issue], chronology: ChronologyLookup):
        self.ref, self.rules, self.warnings, self.chronology = ref, rulebook_for(ref), warnings, chronology
        self.basis_rank = ref.codes.bases.rank
        self.records: dict[str, Fielded] = {}
        self.of_mention: dict[tuple, str | None] = {}
        self.renamed: dict[str, str] = {}

    def add_source(self, x, meetings: list[MeetingMention]) -> None:
        """Merge one source's meeting mentions; an undated "summit in <city>" is read once the source's
        dated meetings are known, and one with neither a year nor a place joins the one other meeting of
        its council the source names, if there is one."""
        undated, placeless = [], []
        for m in meetings:
            if m.year is None and m.date is None and m.ordinal is None and (m.body is not None or m.implied) and m.city is not None:
                undated.append(m)
            else:
                self._add(x, m, {}, placeless)
        years = self._one_year_each(meetings) if undated else {}
        online = self._online_hosts(meetings) if undated else {}
        for m in undated:
            if m.implied and m.country_code is not None and self._same_in_source(m, years) is None \
                    and m.country_code.value in online:
                self.of_mention[m.key] = online[m.country_code.value]  # "the <City> Declaration" of a summit its city's state hosted online
                continue
            self._add(x, m, years, placeless)
        for m, rec, mid in placeless:  # known by its council alone: the one other meeting of it the source names
            named = {self.of_mention.get(other.key) for other in meetings} - {None}
            peers = [k for k in named if not k.endswith("-unknown") and self.records[k].get("body") == rec.get("body")]
            mid = peers[0] if len(peers) == 1 else mid
            self._merge(mid, rec)
            self.of_mention[m.key] = mid

    def _online_hosts(self, meetings: list[MeetingMention]) -> dict[str, str]:
        """The state that hosted a meeting held online, where the source names one such meeting of that
        state: its code and that meeting's id."""
        found: dict[str, set[str]] = {}
        for m in meetings:
            mid = self.of_mention.get(m.key)
            rec = self.records.get(mid)
            if rec is not None and rec.get("is_virtual") and rec.get("country_code"):
                found.setdefault(rec.get("country_code"), set()).add(mid)
        return {code: next(iter(mids)) for code, mids in found.items() if len(mids) == 1}

    def _one_year_each(self, meetings: list[MeetingMention]) -> dict[tuple, tuple[int, int, int]]:
        """For each council and city of a meeting the source dates (itself or through the chronology), that
        year and the sentence of its first mention, where the source gives that council and city one year only."""
        years: dict[tuple, list[tuple[int, int, int]]] = {}
        for m in meetings:
            rec = self.records.get(self.of_mention.get(m.key))
            if rec is not None and m.body is not None and m.city is not None and rec.get("year"):
                years.setdefault((m.body.value, m.city.value), []).append((rec.get("year"), *m.sentence))
        return {key: found[0] for key, found in years.items() if len({year for year, _, _ in found}) == 1}

    @staticmethod
    def _same_in_source(m: MeetingMention, years: dict) -> tuple[int, int, int] | None:
        """The year (and its sentence) the source gives the meeting of this council in this city; a meeting a
        title implies ("the <City> Declaration") names no council: the one meeting the source dates in that city."""
        if m.body is not None:
            return years.get((m.body.value, m.city.value))
        found = [v for (_, city), v in years.items() if city == m.city.value]
        return found[0] if len(found) == 1 else None

    def _add(self, x, m: MeetingMention, years: dict, placeless: list) -> None:
        sid = x.source.source_id
        rec = Fielded(self.basis_rank)
        for name in ("body", "ordinal", "city", "country_code", "is_virtual"):
            v = getattr(m, name)
            if v is not None:
                rec.put(name, v.value, evidence_of_value(sid, v))
        if m.year is not None:
            rec.put("year", m.year.value, evidence_of_value(sid, m.year))
        elif m.date is None and m.city is not None and (same := self._same_in_source(m, years)) is not None:
            # "the summit in <city>", undated, in a source that dates that summit: the same meeting
            year, a, b = same
            rec.put("year", year, evidence_by(sid, a, b, self.rules.one("same_meeting_in_source")))
        date, values = m.date, rec.values
        if not (values.get("ordinal") or values.get("city") or values.get("country_code") or values.get("year")
                or values.get("is_virtual")) and not (date and date.month):
            self.of_mention[m.key] = None  # a council named with nothing that identifies the meeting
            return
        entry = self.chronology.meeting(x, m, rec)
        sentence = evidence_by(sid, m.sentence[0], m.sentence[1], self.rules.one("chronology_match"))
        if entry is not None:
            for name in ("body", "ordinal", "year", "country_code"):
                rec.put(name, getattr(entry, name), sentence)
            if not entry.is_virtual:
                rec.put("city", entry.city, sentence)
            rec.put("is_virtual", entry.is_virtual, sentence)
        if rec.get("year") is None and date and date.month and x.source.published_date:
            rec.put("year", int(x.source.published_date[:4]),
                    evidence_by(sid, date.start, date.end, self.rules.one("year_from_source")))
        self._dates(sid, m, rec, entry)
        if m.implied and rec.get("year") is None:
            self.of_mention[m.key] = None
            return
        if rec.get("is_virtual") is None and rec.get("city") is not None:
            city = rec.evidence["city"][0]
            rec.put("is_virtual", False, evidence_by(city.source_id, city.start, city.end, self.rules.one("in_person")))
        mid = self._id(rec)
        if rec.get("year") is None and mid.endswith("-unknown"):
            placeless.append((m, rec, mid))  # merged once the source's other meetings are known
            return
        self._merge(mid, rec)
        self.of_mention[m.key] = mid

    def _dates(self, sid: str, m: MeetingMention, rec: Fielded, entry: ChronologyEntry | None) -> None:
        d = m.date
        year = rec.get("year")
        if d is not None and d.day and year:
            rule = self.rules.choose("meeting_day", {"year_stated": bool(d.year)})
            try:
                start = dt.date(year, d.month, d.day)
                end = dt.date(d.end_year or year, d.end_month or d.month, d.end_day or d.day)
            except ValueError:
                return
            ev = evidence_by(sid, d.start, d.end, rule)
            rec.put("start_date", start.isoformat(), ev)
            rec.put("end_date", end.isoformat(), ev)
            rec.put("date_precision", "day", ev)
        elif entry is not None:
            ev = evidence_by(sid, m.sentence[0], m.sentence[1], self.rules.one("chronology_match"))
            rec.put("start_date", entry.start_date.isoformat(), ev)
            rec.put("end_date", entry.end_date.isoformat(), ev)
            rec.put("date_precision", "day", ev)
        elif d is not None and d.month and year:
            ev = evidence_by(sid, d.start, d.end, self.rules.choose("meeting_month", {"year_stated": bool(d.year)}))
            last = calendar.monthrange(year, d.month)[1]
            rec.put("start_date", dt.date(year, d.month, 1).isoformat(), ev)
            rec.put("end_date", dt.date(year, d.month, last).isoformat(), ev)
            rec.put("date_precision", "month", ev)
        elif year:
            rec.put("date_precision", "year", rec.evidence["year"])

    def _id(self, rec: Fielded) -> str:
        return _meeting_id(rec.get("body"), rec.get("year"), rec.get("city"), rec.get("is_virtual"), rec.get("country_code"))

    def _merge(self, mid: str, rec: Fielded) -> None:
        """Merge a record (made for one mention, and not used after) into the meeting `mid`."""
        target = self.records.get(mid)
        if target is None:
            self.records[mid] = rec  # the first mention of the meeting: its record is the meeting's
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

    def merge_placeless(self) -> None:
        """A meeting known without a place joins the one meeting of the same council and year that has one."""
        for mid in [k for k in self.records if k.endswith("-unknown")]:
            rec = self.records[mid]
            peers = [k for k, f in self.records.items() if k != mid and not k.endswith("-unknown")
                     and f.get("body") == rec.get("body") and f.get("year") == rec.get("year") and rec.get("year")]
            if len(peers) == 1:
                self._merge(peers[0], rec)
                del self.records[mid]
                self.renamed[mid] = peers[0]
        if self.renamed:
            self.of_mention = {k: self.renamed.get(v, v) for k, v in self.of_mention.items()}

    def row(self, mid: str, f: Fielded) -> dict:
        row = {k: f.get(k) for k in ("body", "ordinal", "city", "country_code", "is_virtual", "start_date",
                                      "end_date", "year")}
        row["date_precision"] = f.get("date_precision") or ("year" if f.get("year") else "unknown")
        labels = self.ref.lexicon.meeting_labels
        body = self.ref.codes.bodies.labels.get(row["body"]) if row["body"] else None
        if body is None:
            head = labels.no_council
        elif row["ordinal"]:
            head = labels.numbered.format(ordinal=self._ordinal_word(row["ordinal"]), council=body)
        else:
            head = labels.unnumbered.format(council=body)
        where = row["city"] or (labels.virtual_place if row["is_virtual"] else None)
        row["label"] = head + "".join(f", {p}" for p in (where, row["year"]) if p)
        return dict(meeting_id=mid, **row)

    def _ordinal_word(self, n: int) -> str:
        """n as an ordinal in digits: 1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st."""
        first, second, third, other = self.ref.lexicon.ordinal_suffixes
        return f"{n}{other if 10 <= n % 100 <= 20 else {1: first, 2: second, 3: third}.get(n % 10, other)}"

    def id_of(self, entry: ChronologyEntry) -> str:
        """The id a chronology meeting has here."""
        return _meeting_id(entry.body, entry.year, entry.city, entry.is_virtual, entry.country_code)

    def from_chronology(self, entry: ChronologyEntry, ev: Ev) -> str:
        rec = Fielded(self.basis_rank)
        for name in ("body", "ordinal", "year", "country_code", "is_virtual"):
            rec.put(name, getattr(entry, name), ev)
        if entry.city:
            rec.put("city", entry.city, ev)
        rec.put("start_date", entry.start_date.isoformat(), ev)
        rec.put("end_date", entry.end_date.isoformat(), ev)
        rec.put("date_precision", "day", ev)
        mid = self._id(rec)
        self._merge(mid, rec)
        return mid


def _meeting_id(body, year, city, is_virtual, country_code) -> str:
    """A meeting's id from its natural key: council, year and place (a city; "virtual"; else the country)."""
    place = city or ("virtual" if is_virtual else (country_code or "unknown"))
    return f"{body or 'unknown'}-{year or 'undated'}-{slug(place)}"
