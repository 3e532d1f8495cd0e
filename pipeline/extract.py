"""Extract: find mentions of meetings, documents, statements, signatories and theme terms in one source.

Reads the text in order and keeps a small discourse context (the meeting and document last
spoken of), so that a quotation after "the Council made the following statement:" is tied to
that meeting. Every value carries the span it was read from, its basis and the rule that
produced it. The words it looks for come from reference/lexicon.yaml and reference/themes.yaml;
this module holds only the grammar.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import operator
import re
from dataclasses import dataclass, field

from pipeline.errors import Issue
from pipeline.ingest import SourceText, split_sentences
from pipeline.matcher import MONTHS, Scan, date_matches, matcher_for
from pipeline.reference import Reference, fold_name
from pipeline.lexicon import Rule
from pipeline.rulebook import rulebook_for


# --- what extraction produces ---------------------------------------------------------------

def _sent_as_fields(cls):
    """Instances go from process to process (`__reduce__`) as their class and field values in order:
    the mentions travel from every extraction worker, and dataclasses' own way (a dict of slots per
    object) is three times slower."""
    values = operator.attrgetter(*(f.name for f in dataclasses.fields(cls)))

    def __reduce__(self):
        return cls, values(self)

    cls.__reduce__ = __reduce__
    return cls


@_sent_as_fields
@dataclass(slots=True)  # not frozen: made and sent by the hundred thousand, and frozen makes each 4x slower
class Val:
    """A value with the span it rests on, its basis (stated, inferred, reference) and its rule."""

    value: object
    start: int
    end: int
    basis: str
    rule: str


@_sent_as_fields
@dataclass(slots=True)
class DateMention:
    """A date or date range as written; parts the text leaves out are None."""

    start: int
    end: int
    year: int | None
    month: int | None
    day: int | None
    end_year: int | None
    end_month: int | None
    end_day: int | None


@_sent_as_fields
@dataclass(slots=True)
class MeetingMention:
    """A meeting spoken of in one sentence (or implied by a document named after a city)."""

    key: tuple[str, int]
    sentence: tuple[int, int]
    body: Val | None = None
    ordinal: Val | None = None
    city: Val | None = None
    country_code: Val | None = None
    date: DateMention | None = None
    year: Val | None = None
    is_virtual: Val | None = None
    implied: bool = False


@_sent_as_fields
@dataclass(slots=True)
class Signatory:
    """A state named as signing or founding a document."""

    country_code: str
    name: str
    role: str
    start: int
    end: int
    basis: str
    rule: str


@_sent_as_fields
@dataclass(slots=True)
class DocumentMention:
    """A document spoken of: by title, by a quoted title, or generically ("a joint communiqué")."""

    key: tuple[str, int]
    sentence: tuple[int, int]
    title: Val
    doc_type: Val
    status: Val
    date: Val | None = None
    year: Val | None = None
    meeting: tuple[str, int] | None = None
    meeting_rule: str | None = None
    antecedent: tuple[str, int] | None = None
    signatories: list[Signatory] = field(default_factory=list)


@dataclass(slots=True)
class StatementMention:
    """A quotation or a paraphrase, with its context links and theme hits."""

    source_id: str
    start: int
    end: int
    kind: str
    rule: str
    is_truncated: bool
    speaker: Val | None = None
    meeting: tuple[str, int] | None = None
    document: tuple[str, int] | None = None
    link_rule: str | None = None
    link_span: tuple[int, int] | None = None  # the lead-in or speaker the links rest on
    themes: dict[str, list[Val]] = field(default_factory=dict)


@dataclass
class Extraction:
    """Everything found in one source."""

    source: SourceText
    meetings: list[MeetingMention]
    documents: list[DocumentMention]
    statements: list[StatementMention]
    sentences: list[tuple[int, int]]
    warnings: list[Issue]


def _val(value, start: int, end: int, rule: Rule) -> Val:
    """A value read by a rule: its basis and id are the rule's."""
    return Val(value, start, end, rule.basis, rule.rule_id)


def extract(source: SourceText, ref: Reference) -> Extraction:
    """Find every mention in one source; a pure function of the text and the reference data."""
    return _Reader(source, ref).read()


WORD = re.compile(r"[A-Za-z0-9][\w'’.\-]*|[,;:()]|\S")
NOT_SPACE = re.compile(r"\S")  # what str.isspace() is not (both are Py_UNICODE_ISSPACE)
WORDS = re.compile(r"\w+")
LETTER_WORDS = re.compile(r"[A-Za-z][\w'’\-]*")
CAPITALISED = re.compile(r"[A-Z][\w'’\-]*|[A-Z]{2,}")
ENDS_COLON = re.compile(r":\s*$")
ENDS_DOCUMENT = re.compile(r"\bdocument\s*,?\s*$", re.I)
ORDINAL_NUMBER = re.compile(r"\d+(st|nd|rd|th)\b")
ORDINAL_WORD = re.compile(r"\d+(st|nd|rd|th)$")
YEAR_WORD = re.compile(r"(19|20)\d\d\b")
YEAR_TOKEN = re.compile(r"(19|20)\d\d\.?$")
RANGE_DASHES = ("-", "–", "—")
TITLE_HEAD = re.compile(r"\s+(?:the\s+|a\s+|an\s+)?((?:[A-Z][\w'’\-]*\s+){0,3}[A-Z][\w'’\-]*)")
STATE_LIST = re.compile(r"(?:,\s*(?:and\s+)?|\s+and\s+|^)(?:[Tt]he\s+)?([A-Z][\w'’\-]*(?:\s+(?:of\s+)?[A-Z][\w'’\-]*)*)")


# --- the reader ----------------------------------------------------------------------------

@dataclass
class _Quote:
    open: int          # offset of the opening mark
    start: int         # first character inside the marks
    end: int           # one past the last character inside
    close: int         # one past the closing mark (== end when unclosed)
    closed: bool
    block: bool        # opens its paragraph
    kind: str = "term"  # statement, title or term
    paragraph: int = 0


class _Reader:
    """Reads one source front to back, keeping the discourse context."""

    def __init__(self, source: SourceText, ref: Reference):
        self.src = source
        self.text = source.text
        self.ref = ref
        self.m = matcher_for(ref)
        self.rules = rulebook_for(ref)
        self.generic_title = self.rules.choose("keyword_title", {"named": False})
        lx = ref.lexicon
        self.ordinal_words = {k.lower(): v for k, v in lx.ordinal_words.items()}
        self.not_places = {fold_name(p) for p in lx.not_places}
        self.connectors = set(lx.title_connectors)
        self.year_openers = set(lx.title_year_openers)
        self.determiners = set(lx.title_determiners)
        self.anaphora = set(lx.anaphora_determiners)
        self.indefinite = set(lx.indefinite_articles)
        self.document_pronouns = set(lx.document_pronouns)
        self.quote_pairs = lx.quote_pairs
        self.min_words = lx.min_statement_words
        self.other_doc_type = ref.codes.doc_types.default
        self.no_status = ref.codes.statuses.default
        self.meetings: list[MeetingMention] = []
        self.documents: list[DocumentMention] = []
        self.statements: list[StatementMention] = []
        self.warnings: list[Issue] = []
        self.sentences: list[tuple[int, int]] = []
        # discourse context
        self.meeting: MeetingMention | None = None
        self.meeting_para = -1
        self.document: DocumentMention | None = None
        self.document_para = -1
        self.last_sentence: dict | None = None
        self.pending_founders: list[Signatory] = []
        self.last_of_type: dict[str, DocumentMention] = {}
        self.last_para = -1
        self.sentence: str | None = None  # the sentence being read
        self.scan: Scan | None = None  # the sentence being read, for the matcher
        self.actor: tuple = (None, None)  # (sentence, its actor match): speaker and paraphrase both ask

    def _scan(self, sent: str) -> Scan:
        """The sentence being read as the matcher scans it, or any other text as written."""
        return self.scan if sent is self.sentence else self.m.plain(sent)

    # -- entry point
    def read(self) -> Extraction:
        """Every mention of the source, in reading order."""
        quotes = self._find_quotes()
        masked = self._mask(quotes)
        quotes_by_para: dict[int, list[_Quote]] = {}
        for q in quotes:
            quotes_by_para.setdefault(q.paragraph, []).append(q)
        for pi, (pstart, pend) in enumerate(self.src.paragraphs):
            self.pending_founders = []
            para_quotes = quotes_by_para.get(pi, [])
            opens = [q.open for q in para_quotes]
            for sstart, send in split_sentences(masked, pstart, pend):
                self.sentences.append((sstart, send))
                in_sentence = para_quotes[bisect.bisect_left(opens, sstart):bisect.bisect_left(opens, send)]
                try:
                    self._read_sentence(pi, sstart, send, masked, in_sentence)
                except Exception as e:  # one sentence the reader trips on never costs the others
                    self.warnings.append(Issue(self.src.where(sstart), "sentence_not_read",
                                               f"sentence left out of the tables: the reader failed on it ({type(e).__name__}: {e})",
                                               value=_snippet(self.text[sstart:send])))
        return Extraction(self.src, self.meetings, self.documents, self.statements, self.sentences, self.warnings)

    # -- quotation marks
    def _find_quotes(self) -> list[_Quote]:
        pairs = self.quote_pairs
        paras = self.src.paragraphs
        starts = [a for a, _ in paras]
        quotes: list[_Quote] = []
        resume = 0
        for mt in self.m.finditer("quote_openers", self.text):
            i = mt.start()
            if i < resume or not self._opens(i):
                continue
            pi = max(bisect.bisect_right(starts, i) - 1, 0)
            q = self._close_quote(i, pi, pairs[self.text[i]])
            quotes.append(q)
            resume = max(q.close, i + 1)
        for q in quotes:
            self._classify(q)
        return quotes

    def _opens(self, i: int) -> bool:
        text = self.text
        nxt = text[i + 1] if i + 1 < len(text) else " "
        if nxt.isspace():
            return False
        if text[i] in "\"'":
            prev = text[i - 1] if i > 0 else " "
            return prev.isspace() or prev in "([{—–-:,;"
        return True

    def _close_quote(self, i: int, pi: int, closers: list[str]) -> _Quote:
        text = self.text
        paras = self.src.paragraphs
        opener = text[i]
        marks = self.m.singles[f"quote_marks:{opener}"].pattern  # the characters that may close or nest this quotation
        block = pi < len(paras) and paras[pi][0] == i  # paragraphs are trimmed: it opens its paragraph
        j = i + 1
        para = pi
        while True:
            pend = paras[para][1] if para < len(paras) else len(text)
            k = j
            depth = 0  # a quote inside a quote with the same marks (“... “three evils” ...”)
            while k < pend:
                mark = marks.search(text, k, pend)
                if mark is None:
                    break
                k = mark.start()
                c = text[k]
                if c == opener and c not in closers and self._opens(k):
                    depth += 1
                elif c in closers and (c not in "\"'" or k + 1 >= len(text) or not text[k + 1].isalnum()):
                    if depth:
                        depth -= 1
                    else:
                        return _Quote(i, i + 1, k, k + 1, True, block, paragraph=pi)
                k += 1
            # unclosed in this paragraph: a quotation continues only when the next paragraph opens with the same mark
            if para + 1 < len(paras) and text[paras[para + 1][0]] == opener:
                para += 1
                j = paras[para][0] + 1
                continue
            end = pend
            while end > i + 1 and text[end - 1].isspace():
                end -= 1
            return _Quote(i, i + 1, end, end, False, block, paragraph=pi)

    def _classify(self, q: _Quote) -> None:
        inner = self.text[q.start:q.end]
        words = len(WORDS.findall(inner))
        window = self.text[max(self.src.paragraphs[q.paragraph][0], q.open - 60):q.open]
        before = window[window.rfind("\n") + 1:]
        title_like = self._starts_with_doc_keyword(inner)
        if self.m.search("naming_cue", before):
            q.kind = "title" if title_like or ENDS_DOCUMENT.search(before) else "term"
        elif words < self.min_words:
            q.kind = "term"
        elif q.block or self.m.search("quote_intro", before):
            q.kind = "statement"
        elif title_like:
            q.kind = "title"
        elif _mostly_capitalised(inner):
            q.kind = "term"
        else:
            q.kind = "statement"

    def _starts_with_doc_keyword(self, inner: str) -> bool:
        return self.m.scan(" ".join(inner.split()[:6])).any("doc_types")

    def _mask(self, quotes: list[_Quote]) -> str:
        """The text with every non-space character inside quotation marks as "x" (quotes are in order and
        do not overlap): offsets stay, and no pattern finds words inside a quotation."""
        text, pieces, at = self.text, [], 0
        for q in quotes:
            a = max(at, q.start)
            pieces += (text[at:a], NOT_SPACE.sub("x", text[a:q.end]))
            at = max(a, q.end)
        pieces.append(text[at:])
        return "".join(pieces)

    # -- one sentence
    def _read_sentence(self, pi: int, s: int, e: int, masked: str, quotes: list[_Quote]) -> None:
        self.last_para = pi
        sent = masked[s:e]
        self.sentence, self.scan = sent, self.m.scan(sent)
        new_meeting = self._meeting_mention(pi, s, e, sent)
        docs = self._document_mentions(pi, s, e, sent, quotes, new_meeting)
        self._signatories(pi, s, e, sent, docs)
        statement_quotes = [q for q in quotes if q.kind == "statement"]
        lead_in = bool(ENDS_COLON.search(sent.rstrip("x”»\"“«' ")) or self.scan.search("lead_in"))
        info = {"start": s, "end": e, "para": pi, "docs": docs, "lead_in": lead_in,
                "speaker": self._speaker(s, sent, docs), "defined": self._defined_term(s, e, quotes)}
        for q in statement_quotes:
            if q.block and q.open == s:
                self._quote_statement(q, self.last_sentence, pi)
            else:
                before = {**info, "end": q.open, "docs": [d for d in docs if d.title.start < q.open],
                          "speaker": self._speaker(s, masked[s:q.open], docs), "lead_in": True}
                self._quote_statement(q, before, pi)
        if not statement_quotes and not lead_in:
            self._paraphrase(s, e, sent, docs)
        if not (statement_quotes and statement_quotes[0].block and statement_quotes[0].open == s):
            self.last_sentence = info

    # -- meetings
    def _meeting_mention(self, pi: int, s: int, e: int, sent: str) -> MeetingMention | None:
        body = self._body(s, sent)
        noun = self.scan.search("meeting_noun")
        if not (noun or body):
            if self.scan.search("meeting_verb"):
                self._place(s, sent)  # still warns of a place missing from the gazetteer
            return None
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
            m.body = _val(body[0], body[1][0], body[1][1], self.rules.one("council_name"))
        if ordinal:
            m.ordinal = ordinal
        if city:
            m.city = city
        if country:
            m.country_code = country
        if date:
            m.date = date
            if date.year:
                m.year = _val(date.year, date.start, date.end, self.rules.one("meeting_year"))
        if virtual:
            m.is_virtual = _val(True, s + virtual.start(), s + virtual.end(), self.rules.one("virtual"))
        if m.year is None:
            m.year = self._anniversary_year(s, sent)
        self.meetings.append(m)
        self.meeting, self.meeting_para = m, pi
        self.document = None
        return m

    def _body(self, s: int, sent: str):
        """The council named first (the longest name where several start there): (body, span, is a council)."""
        found = self._scan(sent).first_longest("bodies")
        if found is None:
            return None
        (body, council), a, b = found
        return body, (s + a, s + b), council

    def _ordinal(self, s: int, sent: str) -> Val | None:
        mt = self._scan(sent).search("ordinal")
        if not mt:
            return None
        n, word = self._ordinal_number(sent, mt)
        return _val(n, s + mt.start(), s + mt.start() + len(word) + (2 if mt.group(1) else 0), self.rules.one("ordinal"))

    def _anniversary_year(self, s: int, sent: str) -> Val | None:
        mt = self._scan(sent).search("anniversary")
        if not mt:
            return None
        n, _ = self._ordinal_number(sent, mt)
        return _val(self.ref.founding_date.year + n, s + mt.start(), s + mt.end(), self.rules.one("anniversary"))

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
                return _val(canonical, a, b, rule), _val(code, a, b, self.rules.one("city_country"))
        mt = self.m.search("unknown_place", sent)
        if mt:
            name = mt.group(1)
            a, b = s + mt.start(1), s + mt.end(1)
            if fold_name(name).split()[0] in MONTHS or fold_name(name) in self.not_places:
                return None, None
            code = self.ref.states.get(fold_name(name))
            rule = self.rules.choose("place_not_in_gazetteer", {"a_state": bool(code)})
            if code:
                return None, _val(code, a, b, rule)
            self.warnings.append(Issue(self.src.where(a), "unknown_city",
                                       "place not in the gazetteer (reference/cities.csv); kept as written, country unknown",
                                       value=name))
            return _val(name, a, b, rule), None
        return None, None

    # -- dates
    def _dates(self, s: int, sent: str) -> list[DateMention]:
        found = []
        for mt in date_matches(sent):
            dm = self._date_from_match(s, mt)
            if dm is not None:
                found.append(dm)
        return sorted(found, key=lambda d: d.start)

    def _first_date(self, s: int, sent: str) -> DateMention | None:
        dates = self._dates(s, sent)
        return dates[0] if dates else None

    def _date_from_match(self, s: int, mt: re.Match) -> DateMention | None:
        gd = mt.groupdict()
        month = MONTHS[gd["m"].rstrip(".").lower()] if gd.get("m") else int(gd["mn"]) if gd.get("mn") else None
        month2 = MONTHS[gd["m2"].rstrip(".").lower()] if gd.get("m2") else None
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

    # -- documents
    def _document_mentions(self, pi, s, e, sent, quotes, meeting) -> list[DocumentMention]:
        docs: list[DocumentMention] = []
        taken: list[tuple[int, int]] = []
        for q in quotes:
            if q.kind == "title":
                title = self.text[q.start:q.end].strip().rstrip(",.;:").strip()
                a = q.start + (len(self.text[q.start:q.end]) - len(self.text[q.start:q.end].lstrip()))
                dtype = self._doc_type_of(title)
                docs.append(self._new_document(pi, s, e, sent, _val(title, a, a + len(title), self.rules.one("quoted_document")),
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
                    ref_doc = DocumentMention(
                        key=(self.src.source_id, len(self.documents)), sentence=(s, e),
                        title=_val(antecedent.title.value, s + mt.start(), s + mt.end(), self.rules.one("anaphora")),
                        doc_type=antecedent.doc_type, status=self._status(s, sent, mt.start(), mt.end()),
                        antecedent=antecedent.key)
                    self.documents.append(ref_doc)
                    self.document, self.document_para = antecedent, pi
                    return ref_doc
            if not capital and self.meeting is None and meeting is None:
                return None  # a lower-case mention with no meeting in view names nothing we can identify
            if capital and not prev and not spec.generic:
                return None  # "Agreement was reached ...": a capitalised common noun opening a sentence
        title = self.text[a:b]
        return self._new_document(pi, s, e, sent, _val(" ".join(title.split()), a, b,
                                                        self.rules.choose("keyword_title", {"named": named})),
                                  spec.doc_type, meeting, named=named, kw=(s + mt.start(), s + mt.end()))

    def _new_document(self, pi, s, e, sent, title: Val, doc_type: str, meeting, named: bool, kw=None) -> DocumentMention:
        kw = kw or (title.start, title.end)
        d = DocumentMention(key=(self.src.source_id, len(self.documents)), sentence=(s, e), title=title,
                            doc_type=_val(doc_type, kw[0], kw[1], self.rules.one("doc_type")),
                            status=self._status(s, sent, title.start - s, title.end - s))
        # a date right after the title ("Declaration of June 16, 2009") or a day in the same sentence
        rest = self.text[title.end:e]
        ta, tb = max(title.start - s, 0), max(title.end - s, 0)
        dates = self._dates(s, _masked(sent, [(ta, tb)]))
        after = self.m.match("title_date_link", rest)
        own = next((x for x in dates if after and x.start == title.end + after.end()), None)
        own = own if own and own.day and own.year and not own.end_day else None
        single = [x for x in dates if x.day and x.year and not x.end_day]
        rule = self.rules.choose("document_date", {"day_after_title": own is not None, "single_day_in_sentence": bool(single)})
        if rule is not None:
            x = own or single[0]
            d.date = _val(dt.date(x.year, x.month, x.day).isoformat(), x.start, x.end, rule)
        if d.date:
            d.year = Val(int(d.date.value[:4]), d.date.start, d.date.end, d.date.basis, d.date.rule)
        else:
            years = [x for x in dates if x.year]
            if years:
                d.year = _val(years[0].year, years[0].start, years[0].end, self.rules.one("document_year"))
            else:
                d.year = self._anniversary_year(title.start, self.text[title.start:title.end])
        self._link_document_meeting(d, pi, meeting)
        self.documents.append(d)
        self.last_of_type[d.doc_type.value] = d
        self.document, self.document_para = d, pi
        if self.pending_founders:
            for sig in self.pending_founders:
                founders = self.rules.one("founders")
                d.signatories.append(Signatory(sig.country_code, sig.name, sig.role, sig.start, sig.end,
                                               founders.basis, founders.rule_id))
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
        if not first or first.rstrip(".,").lower() in MONTHS:
            return kw_end
        if first[0].isdigit() and not ORDINAL_NUMBER.match(first) and not (year_ok and YEAR_WORD.match(first)):
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
            if w.lower() == "and" and self._another_title_follows(sent, tk.end()):
                break  # "the Charter of the SCO and the Agreement on ...": two documents, not one title
            is_year = bool(YEAR_TOKEN.match(w))
            if w[0].isupper() or ORDINAL_WORD.match(w) or is_year or w.lower() in self.connectors:
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
        head = TITLE_HEAD.match(sent[pos:])
        return bool(head) and any(p.search(head.group(1)) and p.search(head.group(1)).group(0)[0].isupper()
                                  for _, p in self.m.members("doc_types"))

    def _status(self, s: int, sent: str, a: int, b: int) -> Val:
        best = None
        for status, found in self._scan(sent).each("status"):
            for mt in found:
                dist = min(abs(mt.start() - b), abs(a - mt.end()))
                if best is None or dist < best[0]:
                    best = (dist, status, mt)
        rule = self.rules.choose("status", {"status_verb": best is not None})
        if best is None:
            return _val(self.no_status, s + a, s + b, rule)
        return _val(best[1], s + best[2].start(), s + best[2].end(), rule)

    def _link_document_meeting(self, d: DocumentMention, pi: int, meeting: MeetingMention | None) -> None:
        city = self._city_in_title(d)
        in_view = self.meeting if self.meeting is not None and self.meeting_para == pi else None
        rule = self.rules.choose("document_meeting", {
            "meeting_in_sentence": meeting is not None, "city_in_title": city is not None, "meeting_in_paragraph": in_view is not None,
            "context_meeting_in_that_city": lambda: in_view is not None and in_view.city and in_view.city.value == city[0],
            "belongs_to_context": lambda: self._belongs_to_context(d), "status_verb": d.status.value != self.no_status,
            "one_meeting_in_source": lambda: self._only_meeting() is not None})
        if rule is not None:
            targets = {"meeting_in_sentence": lambda: meeting, "meeting_in_view": lambda: in_view,
                       "meeting_of_city_in_title": lambda: self._implied_meeting(d, city, rule),
                       "meeting_of_source": self._only_meeting}
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
        return named[-1] if named else None

    def _implied_meeting(self, d: DocumentMention, city: tuple[str, int, int], rule: Rule) -> MeetingMention:
        """The meeting a document named after a city implies (that city's meeting in the document's year)."""
        name, a, b = city
        implied = MeetingMention(key=(self.src.source_id, len(self.meetings)), sentence=d.sentence,
                                 city=_val(name, a, b, rule), implied=True)
        implied.country_code = _val(self.ref.cities[fold_name(name)][1], a, b, self.rules.one("city_country"))
        if d.year is not None:
            implied.year = _val(d.year.value, d.year.start, d.year.end, rule)
        self.meetings.append(implied)
        return implied

    def _belongs_to_context(self, d: DocumentMention) -> bool:
        """A document is the meeting's when the text says it was adopted, signed or approved, when it
        is a generic mention ("a joint communiqué"), or when it is not merely referred to by a speaker
        ("the leaders welcomed the progress in implementing the Programme ...")."""
        if d.status.value != self.no_status or d.title.rule == self.generic_title.rule_id:
            return True
        return not self.m.search("actor", self.text[d.sentence[0]:d.title.start])

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

    # -- signatories
    def _signatories(self, pi, s, e, sent, docs: list[DocumentMention]) -> None:
        for role, found in self.scan.each("signatory_cues"):
            for mt in found:
                states = self._state_list(s, sent, mt.end())
                if not states:
                    continue
                rule = self.rules.one("signatories")
                target = next((d for d in reversed(docs) if d.title.start - s < mt.start()), None) or (docs[0] if docs else None)
                if target is not None:
                    target = self._resolve_antecedent(target)
                    for code, name, a, b in states:
                        target.signatories.append(Signatory(code, name, role, a, b, rule.basis, rule.rule_id))
                else:
                    self.pending_founders.extend(
                        Signatory(code, name, role, a, b, rule.basis, rule.rule_id) for code, name, a, b in states)

    def _resolve_antecedent(self, d: DocumentMention) -> DocumentMention:
        while d.antecedent is not None:
            d = self.documents[d.antecedent[1]]
        return d

    def _state_list(self, s: int, sent: str, pos: int) -> list[tuple[str, str, int, int]]:
        out = []
        for mt in STATE_LIST.finditer(sent[pos:]):
            if mt.start() != (out[-1][3] - s - pos if out else 0):
                break
            name = mt.group(1)
            code = self._state_code(name)
            if code is None:
                break
            a = s + pos + mt.start(1)
            out.append((code, name, a, a + len(name)))
        return out

    def _state_code(self, name: str) -> str | None:
        code = self.ref.states.get(fold_name(name))
        if code:
            return code
        import pycountry

        try:
            return pycountry.countries.lookup(name).alpha_3
        except LookupError:
            return None

    # -- statements
    def _actor(self, sent: str) -> re.Match | None:
        """The actor and reporting verb in (part of) the current sentence (for the whole sentence, found once)."""
        if sent is self.sentence and self.actor[0] is sent:
            return self.actor[1]
        found = self._scan(sent).search("actor")
        if sent is self.sentence:
            self.actor = (sent, found)
        return found

    def _actor_not_a_title(self, s: int, sent: str, docs: list[DocumentMention]) -> re.Match | None:
        """The actor of (part of) the current sentence, unless it starts in a document's title ("The <City>
        Declaration emphasized" is the document speaking, not a person named "<City> Declaration")."""
        mt = self._actor(sent)
        if mt is not None and docs:
            at = s + mt.start("actor")
            for d in docs:
                if at < d.title.end and (at >= d.title.start or self.text[at:d.title.start].strip().lower() in self.determiners):
                    return None
        return mt

    def _speaker(self, s: int, sent: str, docs: list[DocumentMention]) -> Val | None:
        mt = self._actor_not_a_title(s, sent, docs)
        if mt:
            return _val(mt.group("actor"), s + mt.start("actor"), s + mt.end("actor"), self.rules.one("speaker"))
        return None

    def _defined_term(self, s: int, e: int, quotes: list[_Quote]) -> tuple[str, int] | None:
        """A quoted term the sentence defines ("“terrorism” means:"): its words and where they start."""
        for q in quotes:
            if q.kind == "term" and self.m.match("definition", self.text[q.end:e]):
                return self.text[q.start:q.end], q.start
        return None

    def _quote_statement(self, q: _Quote, lead: dict | None, pi: int) -> None:
        inner = self.text[q.start:q.end]
        a = q.start + (len(inner) - len(inner.lstrip()))
        b = q.end - (len(inner) - len(inner.rstrip()))
        rule = self.rules.one("quotation")
        st = StatementMention(self.src.source_id, a, b, rule.value, rule.rule_id,
                              is_truncated=("…" in inner or "..." in inner or not q.closed))
        named = self._resolve_antecedent(lead["docs"][-1]) if lead is not None and lead["docs"] else None
        in_paragraph = (self.document if lead is not None and lead["lead_in"] and self.document is not None
                        and self.document_para == lead["para"] else None)
        doc = named or in_paragraph
        if lead is not None:
            st.speaker = lead.get("speaker")
            if not self.text[lead["start"]:lead["end"]].isspace() and lead["end"] > lead["start"]:
                st.link_span = (lead["start"], lead["end"])  # a quote opening its sentence has no words before it
        st.document = doc.key if doc else None
        st.meeting = self.meeting.key if self.meeting else None
        link = self.rules.choose("quote_link", {"document_in_lead_in": named is not None,
                                                "document_in_paragraph": in_paragraph is not None,
                                                "meeting_in_view": st.meeting is not None})
        st.link_rule = link.rule_id if link else None
        self._themes(st)
        if lead is not None and lead.get("defined"):
            term, at = lead["defined"]
            inherited = self.rules.one("defined_term_theme")
            for theme, rx in self.m.members("themes"):
                hit = rx.search(term)
                if hit and theme.theme_id not in st.themes:
                    st.themes[theme.theme_id] = [_val(hit.group(0), at + hit.start(), at + hit.end(), inherited)]
        self.statements.append(st)

    def _paraphrase(self, s: int, e: int, sent: str, docs: list[DocumentMention]) -> None:
        speaker = None
        doc = None
        mt = self._actor_not_a_title(s, sent, docs)
        actor_at = s + mt.start("actor") if mt else e
        for d in docs:  # a document that is the subject: "The X Declaration of <date> called for", "The X, held ..., said"
            if d.title.start >= actor_at:
                break
            rest = self.text[d.date.end if d.date is not None and d.date.start >= d.title.end else d.title.end:e]
            verb = self.m.match("verb_after_doc", rest) or self.m.match("verb_after_apposition", rest)
            if verb and d.title.end + verb.start("verb") < actor_at:
                doc = self._resolve_antecedent(d)
                speaker = _val(d.title.value, d.title.start, d.title.end, self.rules.one("document_speaker"))
                break
        according_to = False
        if speaker is None and mt:
            speaker = _val(self.text[s + mt.start("actor"):s + mt.end("actor")], s + mt.start("actor"),
                           s + mt.end("actor"), self.rules.one("speaker"))
            cited = next((d for d in docs if d.title.start < actor_at), None)
            if cited is not None and self.m.match("according_to", sent):  # "According to the communiqué, the parties ..."
                doc, according_to = self._resolve_antecedent(cited), True
            if mt.group("actor").lower() in self.document_pronouns:  # "It called for ...": the document last spoken of
                if self.document is None or self.document_para != self.last_para:
                    return
                doc = self.document
                speaker = _val(doc.title.value, speaker.start, speaker.end, self.rules.one("pronoun_speaker"))
        if speaker is None or self._scan(sent).search("procedure"):
            return  # courtesy and procedure ("expressed their gratitude for the hospitality") say nothing
        rule = self.rules.one("paraphrase")
        st = StatementMention(self.src.source_id, s, e, rule.value, rule.rule_id, is_truncated=("…" in sent or "..." in sent),
                              speaker=speaker)
        st.document = doc.key if doc else None
        st.meeting = self.meeting.key if self.meeting else None
        link = self.rules.choose("paraphrase_link", {"according_to_document": according_to, "document_linked": doc is not None,
                                                     "meeting_in_view": st.meeting is not None})
        st.link_rule = link.rule_id if link else None
        self._themes(st)
        self.statements.append(st)

    def _without_theme_neutral_names(self, text: str) -> str:
        """A statement's text with the names whose words would signal a theme by themselves masked."""
        return _masked(text, [mt.span() for mt in self.m.scan(text).finditer("theme_neutral_name")])

    def _themes(self, st: StatementMention) -> None:
        text = self._without_theme_neutral_names(self.text[st.start:st.end])
        term = self.rules.one("theme_term")
        for theme, found in self.m.scan(text).each("themes"):
            hits = [_val(text[m.start():m.end()], st.start + m.start(), st.start + m.end(), term) for m in found]
            if hits:
                st.themes[theme.theme_id] = hits


def _masked(text: str, spans) -> str:
    """The text with the characters of each span as "x" (offsets kept)."""
    for a, b in spans:
        text = text[:a] + "x" * (b - a) + text[b:]
    return text


def _snippet(text: str, most: int = 160) -> str:
    """A text on one line, cut to `most` characters, for a warning."""
    text = " ".join(text.split())
    return text if len(text) <= most else text[:most - 1] + "…"


def _mostly_capitalised(inner: str) -> bool:
    words = LETTER_WORDS.findall(inner)
    if not words:
        return True
    caps = sum(1 for w in words if w[0].isupper())
    return caps / len(words) >= 0.6
