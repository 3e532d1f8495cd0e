"""Extract, documents: titles (quoted, or grown from a document keyword), their type, status, date and
the meeting they belong to; a generic or anaphoric mention ("the declaration") and its antecedent."""

from __future__ import annotations

import datetime as dt
import re

from pipeline.extract_quotes import masked
from pipeline.lexicon import Rule
from pipeline.mentions import DocumentMention, MeetingMention
from pipeline.provenance import Signatory, Val, val_by
from pipeline.reference import fold_name

WORD = re.compile(r"[A-Za-z0-9][\w'’.\-]*|[,;:()]|\S")
CAPITALISED = re.compile(r"[A-Z][\w'’\-]*|[A-Z]{2,}")
YEAR_WORD = re.compile(r"(19|20)\d\d\b")
YEAR_TOKEN = re.compile(r"(19|20)\d\d(?:[-–—](19|20)?\d\d)?\.?$")  # a year or a period ("2013-2017")
RANGE_DASHES = ("-", "–", "—")


class DocumentReading:
    """The reader's document actions (a part of `extract._Reader`, whose context they share)."""

    def _document_mentions(self, pi, s, e, sent, quotes, meeting) -> list[DocumentMention]:
        docs: list[DocumentMention] = []
        taken: list[tuple[int, int]] = []
        for q in quotes:
            if q.kind == "title":
                title = self.text[q.start:q.end].strip().rstrip(",.;:").strip()
                a = q.start + (len(self.text[q.start:q.end]) - len(self.text[q.start:q.end].lstrip()))
                dtype = self._doc_type_of(title)
                docs.append(self._new_document(pi, s, e, sent, val_by(title, a, a + len(title), self.rules.one("quoted_document")),
                                               dtype, meeting, named=True))
                taken.append((q.open, q.close))
        for spec, found in self._scan(sent).each("doc_types"):
            for mt in found:
                a, b = s + mt.start(), s + mt.end()
                if any(a < y and x < b for x, y in taken):
                    continue
                doc = self._document_at(pi, s, e, sent, mt, spec, meeting)
                if doc is not None:
                    taken.append((doc.title.start, doc.title.end) if doc.antecedent is None else (a, b))
                    docs.append(doc)
        docs.sort(key=lambda d: d.title.start)
        return docs

    def _doc_type_of(self, title: str) -> str:
        best = None
        for spec, pattern in self.m.members("doc_types"):
            mt = pattern.search(title)
            if mt and (best is None or mt.start() < best[0]):
                best = (mt.start(), spec.doc_type)
        return best[1] if best else self.other_doc_type

    def _document_at(self, pi, s, e, sent, mt, spec, meeting) -> DocumentMention | None:
        if self.m.match("institution_head", sent, mt.end()):
            return None  # "the Collective Security Treaty Organisation": an institution's name, not a document
        capital = sent[mt.start()].isupper()  # (mt may be the lower-cased sentence's)
        words_before = sent[:mt.start()].split()
        prev = words_before[-1].lower().strip(",") if words_before else ""
        prefix_start = self._title_prefix(sent, mt.start())
        suffix_end = self._title_suffix(sent, mt.end())
        named = capital and (prefix_start < mt.start() or suffix_end > mt.end())
        if not named and not spec.generic:
            return None
        a = s + prefix_start
        b = s + suffix_end
        if not named:
            if prev in self.anaphora or (capital and prev not in self.indefinite):
                antecedent = self.last_of_type.get(spec.doc_type)
                if antecedent is not None:
                    return self._refer_back(pi, s, e, sent, antecedent, (mt.start(), mt.end()), self.rules.one("anaphora"))
            if not capital and (self.meeting is None or self.meeting_para != pi) and meeting is None:
                return None  # a lower-case mention with no meeting in view in its paragraph names nothing we can identify
            if capital and not prev and not spec.generic:
                return None  # "Agreement was reached ...": a capitalised common noun opening a sentence
        title = " ".join(self.text[a:b].split())
        longer = next((d for d in reversed(self.documents) if d.antecedent is None and d.doc_type.value == spec.doc_type
                       and d.title.value.startswith(title + " ")), None) if named else None
        if longer is not None:  # "the <City> Declaration" after "the <City> Declaration of the Council of ..."
            return self._refer_back(pi, s, e, sent, longer, (prefix_start, suffix_end), self.rules.one("short_title"))
        return self._new_document(pi, s, e, sent, val_by(title, a, b, self.rules.choose("keyword_title", {"named": named})),
                                  spec.doc_type, meeting, named=named, kw=(s + mt.start(), s + mt.end()))

    def _refer_back(self, pi, s, e, sent, antecedent: DocumentMention, span: tuple[int, int], rule) -> DocumentMention:
        """A mention of a document named before ("this Convention"): its antecedent's title and type."""
        ref_doc = DocumentMention(key=(self.src.source_id, len(self.documents)), sentence=(s, e),
                                  title=val_by(antecedent.title.value, s + span[0], s + span[1], rule),
                                  doc_type=antecedent.doc_type, status=self._status(s, sent, *span), antecedent=antecedent.key)
        self.documents.append(ref_doc)
        self.document, self.document_para = antecedent, pi
        return ref_doc

    def _new_document(self, pi, s, e, sent, title: Val, doc_type: str, meeting, named: bool, kw=None) -> DocumentMention:
        kw = kw or (title.start, title.end)
        d = DocumentMention(key=(self.src.source_id, len(self.documents)), sentence=(s, e), title=title,
                            doc_type=val_by(doc_type, kw[0], kw[1], self.rules.one("doc_type")),
                            status=self._status(s, sent, title.start - s, title.end - s))
        # a date right after the title ("Declaration of June 16, 2009") or a day in the same sentence
        rest = self.text[title.end:e]
        ta, tb = max(title.start - s, 0), max(title.end - s, 0)
        dates = self._dates(s, masked(sent, [(ta, tb)]))
        after = self.m.match("title_date_link", rest)
        own = next((x for x in dates if after and x.start == title.end + after.end()), None)
        own = own if own and own.day and own.year and not own.end_day else None
        single = [x for x in dates if x.day and x.year and not x.end_day]
        rule = self.rules.choose("document_date", {"day_after_title": own is not None, "single_day_in_sentence": bool(single)})
        if rule is not None:
            x = own or single[0]
            d.date = val_by(dt.date(x.year, x.month, x.day).isoformat(), x.start, x.end, rule)
        if d.date:
            d.year = Val(d.date.start, d.date.end, d.date.basis, d.date.rule, int(d.date.value[:4]))
        else:
            years = [(x.year, x.start, x.end) for x in dates if x.year]
            own = self.m.search("year_before_title", self.text[s:title.start])  # "the 2007 Treaty"
            after = None if own else self.m.match("year_after_title", self.text[title.end:e])  # "the Charter, adopted in 2002"
            if own or after:
                at, base = (own, s) if own else (after, title.end)
                years = [(int(at.group(1)), base + at.start(1), base + at.end(1))]
            if years:
                d.year = val_by(*years[0], self.rules.choose("document_year", {"year_before_title": bool(own),
                                                                              "year_after_title": bool(after)}))
            else:
                d.year = self._anniversary_year(title.start, self.text[title.start:title.end])
        self._link_document_meeting(d, pi, meeting)
        self.documents.append(d)
        self.last_of_type[d.doc_type.value] = d
        self.document, self.document_para = d, pi
        if self.pending_founders:
            for sig in self.pending_founders:
                founders = self.rules.one("founders")
                d.signatories.append(Signatory(sig.start, sig.end, founders.basis, founders.rule_id,
                                               sig.country_code, sig.name, sig.role))
            self.pending_founders = []
        return d

    def _title_prefix(self, sent: str, kw_start: int) -> int:
        start = kw_start
        for mt in reversed(list(CAPITALISED.finditer(sent[:kw_start]))):
            between = sent[mt.end():start]
            if between.strip() != "" or "\n" in between:
                break
            if mt.group(0).lower() in self.determiners:
                break
            start = mt.start()
        return start

    def _title_suffix(self, sent: str, kw_end: int) -> int:
        mt = self.m.match("title_opener", sent, kw_end)
        if not mt:
            return kw_end
        rest = sent[mt.end():]
        first = rest.split()[0] if rest.split() else ""
        year_ok = mt.group(1).lower() in self.year_openers
        if not first or first.rstrip(".,").lower() in self.m.months:
            return kw_end
        if first[0].isdigit() and not self.m.match("ordinal_number", first) and not (year_ok and YEAR_WORD.match(first)):
            return kw_end
        end = kw_end
        pos = mt.end()
        last_good = None
        tokens = list(WORD.finditer(sent, pos))
        prev = mt.group(1).lower()
        for i, tk in enumerate(tokens):
            w = tk.group(0)
            if w in RANGE_DASHES and YEAR_TOKEN.match(prev) and i + 1 < len(tokens) and YEAR_TOKEN.match(tokens[i + 1].group(0)):
                continue  # "for 2016–2021": the period is the title's (prev stays the first year)
            year_ok = year_ok or prev in self.year_openers  # "... on Combating Terrorism for 2007–2009"
            prev = w.lower()
            if w == ",":
                nxt = tokens[i + 1].group(0) if i + 1 < len(tokens) else ""
                if nxt[:1].isupper():
                    continue
                break
            if w.lower() in self.conjunctions and self._another_title_follows(sent, tk.end()):
                break  # "the Charter of the SCO and the Agreement on ...": two documents, not one title
            is_year = bool(YEAR_TOKEN.match(w))
            if w[0].isupper() or self.m.match("ordinal_token", w) or is_year or w.lower() in self.connectors:
                # a title ends on a capitalised word (or the year of "until 2025"), never on "the 20th"
                if w[0].isupper() or (is_year and year_ok):
                    last_good = tk.end()
                if w.rstrip(".") != w:  # a word ending the sentence
                    if last_good == tk.end():
                        last_good -= len(w) - len(w.rstrip("."))
                    break
                continue
            break
        if last_good is not None:
            end = last_good
        return end

    def _another_title_follows(self, sent: str, pos: int) -> bool:
        """A capitalised document keyword starts within the next few words ("and the Agreement")."""
        head = self.m.match("title_head", sent[pos:])
        return bool(head) and any(p.search(head.group(1)) and p.search(head.group(1)).group(0)[0].isupper()
                                  for _, p in self.m.members("doc_types"))

    def _status(self, s: int, sent: str, a: int, b: int) -> Val:
        best = None
        link = self.m.search("complement_link", sent[:a])  # "... of the" right before the title
        for status, found in self._scan(sent).each("status"):
            for mt in found:
                if link and mt.end() <= a and sent[mt.end():link.start()].strip():
                    continue  # the verb's object is the noun the title complements ("approved the report on the implementation of the Programme")
                dist = min(abs(mt.start() - b), abs(a - mt.end()))
                if best is None or dist < best[0]:
                    best = (dist, status, mt)
        rule = self.rules.choose("status", {"status_verb": best is not None})
        if best is None:
            return val_by(self.no_status, s + a, s + b, rule)
        return val_by(best[1], s + best[2].start(), s + best[2].end(), rule)

    def _link_document_meeting(self, d: DocumentMention, pi: int, meeting: MeetingMention | None) -> None:
        city = self._city_in_title(d)
        in_view = self.meeting if self.meeting is not None and self.meeting_para == pi else None
        rule = self.rules.choose("document_meeting", {
            "meeting_in_sentence": meeting is not None, "city_in_title": city is not None, "meeting_in_paragraph": in_view is not None,
            "context_meeting_in_that_city": lambda: in_view is not None and in_view.city and in_view.city.value == city[0],
            "belongs_to_context": lambda: self._belongs_to_context(d), "status_verb": d.status.value != self.no_status,
            "one_meeting_in_source": lambda: self._only_meeting() is not None,
            "headline_meeting": lambda: self._headline_meeting() is not None,
            "unnamed": d.title.rule == self.generic_title.rule_id})
        if rule is not None:
            targets = {"meeting_in_sentence": lambda: meeting, "meeting_in_view": lambda: in_view,
                       "meeting_of_city_in_title": lambda: self._implied_meeting(d, city, rule),
                       "meeting_of_source": self._only_meeting, "meeting_of_headline": self._headline_meeting}
            d.meeting, d.meeting_rule = targets[rule.value]().key, rule.rule_id
        if d.meeting is not None:
            self.meeting = self._meeting_by_key(d.meeting)
            self.meeting_para = pi
        elif self.meeting_para != pi:
            self.meeting = None  # a document outside the meeting's paragraph starts a new topic

    def _only_meeting(self) -> MeetingMention | None:
        """The meeting the source has spoken of so far, where every meeting it named is that one (same council,
        city and year where stated): a press release or communiqué about one meeting."""
        named = [m for m in self.meetings if not m.implied]
        for part in ("body", "city", "year"):  # what any of them states, all that state it agree on
            if len({getattr(m, part).value for m in named if getattr(m, part) is not None}) > 1:
                return None
        placed = [m for m in named if m.city or m.year or m.date]  # the mention that identifies it, where one does
        return (placed or named)[-1] if named else None

    def _implied_meeting(self, d: DocumentMention, city: tuple[str, int, int], rule: Rule) -> MeetingMention:
        """The meeting a document named after a city implies (that city's meeting in the document's year)."""
        name, a, b = city
        implied = MeetingMention(key=(self.src.source_id, len(self.meetings)), sentence=d.sentence,
                                 city=val_by(name, a, b, rule), implied=True)
        implied.country_code = val_by(self.ref.cities[fold_name(name)][1], a, b, self.rules.one("city_country"))
        if d.year is not None:
            implied.year = val_by(d.year.value, d.year.start, d.year.end, rule)
        self.meetings.append(implied)
        return implied

    def _belongs_to_context(self, d: DocumentMention) -> bool:
        """A document is the meeting's when the text says it was adopted, signed or approved, when it
        is a generic mention ("a joint communiqué"), or when it is not merely referred to by a speaker
        ("the leaders welcomed the progress in implementing the Programme ...") or by another noun."""
        if d.status.value != self.no_status or d.title.rule == self.generic_title.rule_id:
            return True
        before = self.text[d.sentence[0]:d.title.start]
        # "... for the implementation of the Treaty": a title another noun governs is only referred to
        return not (self.m.search("actor", before) or self.m.search("complement_link", before))

    def _city_in_title(self, d: DocumentMention) -> tuple[str, int, int] | None:
        """A gazetteer city before the title's keyword ("the <City> Declaration"): its name and span."""
        title = self.text[d.title.start:d.title.end]
        kw = d.doc_type.start - d.title.start
        for mt in self.m.finditer("city", title[:max(kw, 0)]):
            if mt.group(0)[0].isupper():
                canonical, _ = self.ref.cities[fold_name(mt.group(0))]
                return canonical, d.title.start + mt.start(), d.title.start + mt.end()
        return None

    def _meeting_by_key(self, key):
        return self.meetings[key[1]]
