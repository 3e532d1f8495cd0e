"""Extract, meetings: the council, ordinal, place, date and format a sentence gives a meeting it names."""

from __future__ import annotations

import datetime as dt
import re

from pipeline.errors import Issue
from pipeline.mentions import DateMention, MeetingMention
from pipeline.provenance import Val, val_by
from pipeline.reference import fold_name


class MeetingReading:
    """The reader's meeting actions (a part of `extract._Reader`, whose context they share)."""

    def _meeting_mention(self, pi: int, s: int, e: int, sent: str) -> MeetingMention | None:
        body = self._body(s, sent)
        noun = self.scan.search("meeting_noun")
        if not (noun or body):
            if self.scan.search("meeting_verb"):
                self._place(s, sent)  # still warns of a place missing from the gazetteer
            return None
        if not noun and self._reports_speech(s, body) and not self.scan.search("meeting_verb"):
            return None  # "The heads of state noted that ... the Secretariat in <City>": a place said, not met in
        city, country = self._place(s, sent)
        if not (noun or (body and city) or (body and self.scan.search("meeting_verb"))):  # the verb only where it decides
            return None
        ordinal = self._ordinal(s, sent)
        date = self._first_date(s, sent)
        virtual = self.scan.search("virtual")
        council = body is not None and body[2]
        if not (city or country or date or ordinal or council or virtual):
            return None  # "adopted at the meeting": the meeting already in context
        m = MeetingMention(key=(self.src.source_id, len(self.meetings)), sentence=(s, e))
        if body:
            m.body = val_by(body[0], body[1][0], body[1][1], self.rules.one("council_name"))
        elif word := self.scan.search("the_council"):
            # "the next meeting of the Council": the council of the meeting in view, or of the one the source is about
            context = self.meeting or self._only_meeting()
            if context is not None and context.body is not None:
                m.body = val_by(context.body.value, s + word.start(), s + word.end(), self.rules.one("council_in_view"))
        if ordinal:
            m.ordinal = ordinal
        if city:
            m.city = city
        if country:
            m.country_code = country
        if date:
            m.date = date
            if date.year:
                m.year = val_by(date.year, date.start, date.end, self.rules.one("meeting_year"))
        if virtual:
            m.is_virtual = val_by(True, s + virtual.start(), s + virtual.end(), self.rules.one("virtual"))
        if m.year is None:
            m.year = self._anniversary_year(s, sent)
        self.meetings.append(m)
        if self.meeting is not None and self.scan.search("future_meeting"):
            return m  # "reviewed preparations for the forthcoming meeting of ...": what follows is still the meeting in view
        self.meeting, self.meeting_para = m, pi
        self.document = None
        return m

    def _reports_speech(self, s: int, body) -> bool:
        """The council named is the speaker of the sentence's reporting verb ("The heads of state noted
        that ..."): what follows is what they said."""
        actor = self._actor(self.sentence)
        return actor is not None and body is not None and actor.start("actor") <= body[1][0] - s < actor.end("actor")

    def _body(self, s: int, sent: str):
        """The council named first (the longest name where several start there): (body, span, is a council)."""
        found = self._scan(sent).first_longest("bodies")
        if found is None:
            return None
        (body, council), a, b = found
        return body, (s + a, s + b), council

    def _ordinal(self, s: int, sent: str) -> Val | None:
        mt = self._scan(sent).search("ordinal")
        while mt and self.m.search("person_possessive", sent[:mt.start()]):
            mt = self._scan(sent).search("ordinal", mt.end())  # "Xi's first SCO summit" counts his summits, not the series
        after = None if mt else self.m.search("ordinal_after_meeting", sent)
        if not (mt or after):
            return None
        mt = mt or after
        n, word = self._ordinal_number(sent, mt)
        a = mt.start(1) if mt.group(1) else mt.start(2)
        return val_by(n, s + a, s + a + len(word) + (2 if mt.group(1) else 0),
                      self.rules.choose("ordinal", {"after_meeting": after is not None}))

    def _anniversary_year(self, s: int, sent: str) -> Val | None:
        mt = self._scan(sent).search("anniversary")
        if not mt:
            return None
        n, _ = self._ordinal_number(sent, mt)
        return val_by(self.ref.founding_date.year + n, s + mt.start(), s + mt.end(), self.rules.one("anniversary"))

    def _ordinal_number(self, sent: str, mt: re.Match) -> tuple[int, str]:
        """The number an ordinal match gives (digits in group 1, a word in group 2), and its words as written."""
        if mt.group(1):
            return int(mt.group(1)), mt.group(1)
        word = sent[mt.start(2):mt.end(2)]
        return self.ordinal_words[word.lower()], word

    def _place(self, s: int, sent: str) -> tuple[Val | None, Val | None]:
        for mt in self._scan(sent).finditer("city"):
            name = sent[mt.start():mt.end()]
            if not name[0].isupper():
                continue
            rule = self.rules.choose("meeting_city", text=sent, span=mt.span())
            if rule:
                canonical, code = self.ref.cities[fold_name(name)]
                a, b = s + mt.start(), s + mt.end()
                return val_by(canonical, a, b, rule), val_by(code, a, b, self.rules.one("city_country"))
        mt = self.m.search("unknown_place", sent)
        if mt:
            name = mt.group(1)
            a, b = s + mt.start(1), s + mt.end(1)
            if fold_name(name).split()[0] in self.m.months or fold_name(name) in self.not_places:
                return None, None
            code = self.ref.states.get(fold_name(name))
            rule = self.rules.choose("place_not_in_gazetteer", {"a_state": bool(code)})
            if code:
                return None, val_by(code, a, b, rule)
            self.warnings.append(Issue(self.src.where(a), "unknown_city",
                                       "place not in the gazetteer (reference/cities.csv); kept as written, country unknown",
                                       value=name))
            return val_by(name, a, b, rule), None
        return None, None

    def _dates(self, s: int, sent: str) -> list[DateMention]:
        found = []
        for mt in self.m.dates(sent):
            dm = self._date_from_match(s, mt)
            if dm is not None:
                found.append(dm)
        return sorted(found, key=lambda d: d.start)

    def _first_date(self, s: int, sent: str) -> DateMention | None:
        dates = self._dates(s, sent)
        return dates[0] if dates else None

    def _date_from_match(self, s: int, mt: re.Match) -> DateMention | None:
        gd = mt.groupdict()
        month = self.m.months[gd["m"].rstrip(".").lower()] if gd.get("m") else int(gd["mn"]) if gd.get("mn") else None
        month2 = self.m.months[gd["m2"].rstrip(".").lower()] if gd.get("m2") else None
        year = int(gd["y"]) if gd.get("y") else None
        day = int(gd["d"]) if gd.get("d") else None
        day2 = int(gd["d2"]) if gd.get("d2") else None
        dm = DateMention(s + mt.start(), s + mt.end(), year, month, day,
                         year, month2 or month if day2 else None, day2)
        for y, m, d in ((year or 2000, month, day), (year or 2000, month2 or month, day2)):
            if m and d or (m and not 1 <= m <= 12):
                try:
                    dt.date(y, m, d or 1)
                except ValueError:
                    self.warnings.append(Issue(self.src.where(s + mt.start()), "impossible_date",
                                               "date does not exist; left out of the tables", value=mt.group(0)))
                    return None
        return dm
