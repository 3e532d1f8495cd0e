"""Extract: find mentions of meetings, documents, statements, signatories and theme terms in one source.

Reads the text in order and keeps a small discourse context (the meeting and document last
spoken of), so that a quotation after "the Council made the following statement:" is tied to
that meeting. Every value carries the span it was read from, its basis and the rule that
produced it. The words it looks for come from reference/lexicon.yaml and reference/themes.yaml;
this module holds only the grammar.
"""

from __future__ import annotations

import bisect
import calendar
import dataclasses
import datetime as dt
import functools
import operator
import re
from dataclasses import dataclass, field

from pipeline.errors import Issue
from pipeline.ingest import SourceText, split_sentences
from pipeline.reference import Reference, fold_name


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


def extract(source: SourceText, ref: Reference) -> Extraction:
    """Find every mention in one source; a pure function of the text and the reference data."""
    return _Reader(source, ref).read()


# --- case-sensitive alternations, factored ------------------------------------------------------
# The regex engine tries a word's alternatives one by one at every word start; most fail on their
# first letter. Alternatives next to each other that open with the same letter are written to share
# it, "(?:council of x|council of y|leaders)" as "(?:c(?:ouncil of x|ouncil of y)|leaders)", recursively:
# the same matches in the same order of trial (the letters differ, so no two groups can both match at
# one place, and each group keeps its alternatives' order), at 0.5x-0.9x of the cost. Only for
# patterns compiled case-sensitively; groups with flags of their own are kept as written.

_TOKEN = re.compile(r"\\.|\[\^?\]?(?:\\.|[^\]\\])*\]|\((?!\?)|\(\?(?:P<\w+>|[:=!]|<[=!])|\(\?|[)|]|.", re.S)
_QUANTIFIERS = "?*+{"
BOUNDARY_BEHIND = r"(?<!\w.)"  # after a letter: no letter before it


def _factored(pattern: str) -> str:
    """A case-sensitive pattern with its alternations factored by their first letters (above)."""
    alternatives, _ = _alternatives(_TOKEN.findall(pattern), 0)
    if len(alternatives) > 1 and all(alt[:1] == ["\\b"] for alt in alternatives):
        alternatives = [["\\b", ("(?:", [alt[1:] for alt in alternatives])]]  # \bx|\by as \b(?:x|y)
    first = alternatives[0]
    if (len(alternatives) == 1 and first[:1] == ["\\b"] and len(first) > 1 and isinstance(first[1], tuple)
            and first[1][0] == "(?:" and all(_opens_with_a_letter(alt) and alt[0].isalnum() for alt in _spread(first[1][1]))
            and not (len(first) > 2 and isinstance(first[2], str) and first[2][:1] in _QUANTIFIERS)):
        # \b(?:ax|by)... as (?:a(?<!\w.)x|b(?<!\w.)y)...: before a letter, \b is "no letter before it", which
        # can be asked once the letter is read; a pattern that opens with one of a few letters is searched
        # by skipping to them (the engine's own fast scan), not by trying every place
        return f"(?:{_written(first[1][1], after_head=BOUNDARY_BEHIND)}){_written([first[2:]])}"
    return _written(alternatives)


def _alternatives(tokens: list[str], i: int) -> tuple[list[list], int]:
    """The alternatives of the tokens from i to the ")" that closes their group (or the end), each a
    list of tokens and groups ((opener, alternatives)); and where they stop."""
    alternatives, current = [], []
    while i < len(tokens):
        tk = tokens[i]
        if tk == "(?":  # a group with flags of its own (or a reference, a condition): as written
            depth, j = 1, i + 1
            while depth:
                depth += 1 if tokens[j][0] == "(" else -1 if tokens[j] == ")" else 0
                j += 1
            current.append("".join(tokens[i:j]))
            i = j
            continue
        if tk[0] == "(":
            group, i = _alternatives(tokens, i + 1)
            current.append((tk, group))
        elif tk == ")":
            break
        elif tk == "|":
            alternatives.append(current)
            current = []
        else:
            current.append(tk)
        i += 1
    alternatives.append(current)
    return alternatives, i


def _written(alternatives: list[list], after_head: str = "") -> str:
    """Alternatives (as _alternatives gives them) as pattern text, each run of those that open with a
    letter grouped by that letter (`after_head` written after each such letter)."""
    alternatives = _spread(alternatives)
    out, i = [], 0
    while i < len(alternatives):
        if not _opens_with_a_letter(alternatives[i]):
            out.append("".join(t if isinstance(t, str) else f"{t[0]}{_written(t[1])})" for t in alternatives[i]))
            i += 1
            continue
        tails: dict[str, list] = {}  # the run of alternatives that open with a letter, by that letter
        while i < len(alternatives) and _opens_with_a_letter(alternatives[i]):
            tails.setdefault(alternatives[i][0], []).append(alternatives[i][1:])
            i += 1
        for head, rest in tails.items():
            rest = _spread(rest)
            out.append(head + after_head + (_written(rest) if len(rest) == 1 else f"(?:{_written(rest)})"))
    return "|".join(out)


def _spread(alternatives: list[list], most: int = 64) -> list[list]:
    """Alternatives that open with a group of alternatives (of its own or optional, with no capturing group
    anywhere in them), spread out: (?:x|y)z as xz|yz, (?:x|y)?z as xz|yz|z (the same trials in the same
    order), so that they too can share their first letters; as they are where that would make more than `most`."""
    out = []
    for alt in alternatives:
        head = alt[0] if alt else None
        after = alt[1] if len(alt) > 1 and isinstance(alt[1], str) else ""
        if isinstance(head, tuple) and head[0] == "(?:" and not _captures(alt):
            if not (after and after[0] in _QUANTIFIERS):
                out += _spread([inner + alt[1:] for inner in head[1]], most)
                continue
            if after == "?" and not (len(alt) > 2 and alt[2] in ("?", "+")):  # greedy: with it first, then without
                out += _spread([inner + alt[2:] for inner in head[1]] + [alt[2:]], most)
                continue
        out.append(alt)
    return out if len(out) <= most else alternatives


def _opens_with_a_letter(alternative: list) -> bool:
    """Whether an alternative opens with a plain ASCII letter, digit or space that no quantifier follows,
    and holds no capturing group (moved, it would change the groups' numbers)."""
    head = alternative[0] if alternative else ""
    after = alternative[1] if len(alternative) > 1 else ""
    return (isinstance(head, str) and len(head) == 1 and head.isascii() and (head.isalnum() or head == " ")
            and not (isinstance(after, str) and after[:1] in _QUANTIFIERS and after) and not _captures(alternative))


def _captures(items: list) -> bool:
    """Whether tokens and groups (as _alternatives gives them) hold a capturing group."""
    for item in items:
        if isinstance(item, str):
            if item.startswith("(?") and any(tk == "(" or tk.startswith("(?P<") for tk in _TOKEN.findall(item[2:])):
                return True
        elif item[0] == "(" or item[0].startswith("(?P<") or any(_captures(alt) for alt in item[1]):
            return True
    return False


def _all_at(patterns) -> tuple[re.Pattern, list[int]] | None:
    """One pattern that, matched at a position, captures in a group of its own what each of `patterns`
    matches there (the span (-1, -1) where one does not): one call in place of a `match` each.
    None where a pattern is missing or they do not combine (their own group names clash)."""
    if any(p is None for p in patterns):
        return None
    try:
        rx = re.compile("".join(f"(?:(?=(?P<_at{i}>{p.pattern})))?" for i, p in enumerate(patterns)))
    except re.error:
        return None
    return rx, [rx.groupindex[f"_at{i}"] for i in range(len(patterns))]


# --- the grammar, compiled from the lexicon ---------------------------------------------------

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
_MONTH = r"(?:" + "|".join(sorted((m.capitalize() for m in MONTHS), key=len, reverse=True)) + r")\.?"
_DASH = r"\s*(?:-|–|—|to|and)\s*"


def _day(name: str) -> str:
    return rf"(?:the\s+)?(?P<{name}>\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?"


def _year(name: str = "y") -> str:
    return rf"(?P<{name}>(?:19|20)\d{{2}})\b"


DATE_PATTERNS = [  # most specific first; named groups d, m, d2, m2, y (m as a name, mn as a number)
    # (pattern, what it needs, where it may start): a sentence without a month name, a year or a digit
    # skips the patterns that need one; a pattern that opens with a month name or a year is searched
    # from the first place the gate of that finds one (no match of it can start before); written by
    # _factored, as the gates are
    (re.compile(_factored(rf"\b{_day('d')}\s+(?P<m>{_MONTH}){_DASH}{_day('d2')}\s+(?P<m2>{_MONTH}),?\s*(?:{_year()})?")), ("month", "digit"), None),
    (re.compile(_factored(rf"\b(?P<m>{_MONTH})\s+{_day('d')}{_DASH}(?P<m2>{_MONTH})\s+{_day('d2')},?\s*(?:{_year()})?")), ("month", "digit"), "month"),
    (re.compile(_factored(rf"\b{_day('d')}(?:{_DASH}{_day('d2')})?\s+(?P<m>{_MONTH})(?:,?\s*{_year()})?")), ("month", "digit"), None),
    (re.compile(_factored(rf"\b(?P<m>{_MONTH})\s+{_day('d')}(?:{_DASH}{_day('d2')})?(?!\d)(?:,?\s*{_year()})?")), ("month", "digit"), "month"),
    (re.compile(_factored(rf"\b{_year()}-(?P<mn>[01]\d)-(?P<d>[0-3]\d)\b")), ("year",), "year"),
    (re.compile(_factored(rf"\b(?P<m>{_MONTH}),?\s+{_year()}")), ("month", "year"), "month"),
    (re.compile(_factored(rf"\b(?:in|of|during|by|since)\s+(?P<m>{_MONTH})\b")), ("month",), None),
    (re.compile(_factored(rf"\b(?:in|In|of|during|for|since|year)\s+{_year()}")), ("year",), None),
    (re.compile(_factored(rf"\b{_year()}\s+(?:summit|meeting|session)\b")), ("year",), "year"),
]
DATE_GATES = {  # where none is found, no pattern that needs it is tried
    "month": re.compile(_factored(_MONTH)),
    "year": re.compile(r"(?:19|20)\d{2}"),
    "digit": re.compile(r"\d"),  # a day's number
}
WORD = re.compile(r"[A-Za-z0-9][\w'’.\-]*|[,;:()]|\S")
NOT_SPACE = re.compile(r"\S")  # what str.isspace() is not (both are Py_UNICODE_ISSPACE)
WORDS = re.compile(r"\w+")
LETTER_WORDS = re.compile(r"[A-Za-z][\w'’\-]*")
CAPITALISED = re.compile(r"[A-Z][\w'’\-]*|[A-Z]{2,}")
ENDS_COLON = re.compile(r":\s*$")
ENDS_DOCUMENT = re.compile(r"\bdocument\s*,?\s*$", re.I)
DATE_AFTER_TITLE = re.compile(r"\s*(?:of|dated|on)\s+")
ORDINAL_NUMBER = re.compile(r"\d+(st|nd|rd|th)\b")
ORDINAL_WORD = re.compile(r"\d+(st|nd|rd|th)$")
YEAR_WORD = re.compile(r"(19|20)\d\d\b")
YEAR_TOKEN = re.compile(r"(19|20)\d\d\.?$")
TITLE_HEAD = re.compile(r"\s+(?:the\s+|a\s+|an\s+)?((?:[A-Z][\w'’\-]*\s+){0,3}[A-Z][\w'’\-]*)")
STATE_LIST = re.compile(r"(?:,\s*(?:and\s+)?|\s+and\s+|^)(?:[Tt]he\s+)?([A-Z][\w'’\-]*(?:\s+(?:of\s+)?[A-Z][\w'’\-]*)*)")


_FOLD_UNSAFE = re.compile("[\u0130\u0131\u017f\u212a\u03a3\u03c2]")  # lower() does not mirror IGNORECASE here


def _folded(text: str) -> str | None:
    """The text lower-cased for the gates, or None (gates open) where lower-casing is not case folding."""
    return text.lower() if text.isascii() or not _FOLD_UNSAFE.search(text) else None


def _lower_pattern(pattern: str) -> str:
    """A pattern's literals lower-cased, escapes kept: for lower-cased text, without IGNORECASE."""
    return re.sub(r"\\.|[^\\]+", lambda m: m.group(0) if m.group(0)[0] == "\\" else m.group(0).lower(), pattern)


def _gate(patterns) -> re.Pattern:
    """One case-sensitive pattern for lower-cased text, matching wherever any of the patterns might."""
    return re.compile(_factored("|".join(_lower_pattern(p) for p in patterns)))


def _folded_twin(pattern: re.Pattern) -> re.Pattern | None:
    """An IGNORECASE pattern's exact twin for lower-cased text (same matches, same offsets), or None
    when the pattern holds what lower-casing would change (inline flags, named groups)."""
    if "(?-" in pattern.pattern or "(?P" in pattern.pattern:
        return None
    return re.compile(_factored(_lower_pattern(pattern.pattern)))


def _alternation(items) -> str:
    return "(?:" + "|".join(sorted(items, key=len, reverse=True)) + ")"


FOLDED_SEARCHES = ("meeting_noun", "meeting_verb", "virtual", "ordinal", "anniversary", "lead_in")


@functools.lru_cache(maxsize=8)
def _grammar(ref: Reference) -> dict:
    lx = ref.lexicon
    body_patterns = []
    for body, pats in lx["bodies"].items():
        for p in pats:
            body_patterns.append((re.compile(rf"\b{p}\b", re.I), body, p.startswith("council")))
    ordinal_words = {k.lower(): v for k, v in lx["ordinal_words"].items()}
    ord_alt = r"(?:(\d{1,2})(?:st|nd|rd|th)|(" + _alternation(re.escape(w) for w in ordinal_words) + r"))"
    fillers = _alternation(lx["ordinal_fillers"])
    nouns = _alternation(lx["meeting_nouns"])
    doc_kw = [(re.compile(rf"\b{d['keyword']}s?\b", re.I), d) for d in lx["document_types"]]
    status_kw = [(re.compile(rf"\b{_alternation(v)}\b", re.I), status) for status, v in lx["status_verbs"].items()]
    city_names = sorted(ref.cities, key=len, reverse=True)
    city = re.compile(r"\b(" + "|".join(re.escape(c) for c in city_names) + r")\b", re.I)
    themes = [(t, re.compile(r"\b(" + _alternation(re.escape(term) for term in t.terms) + r")(?:s|es)?\b", re.I))
              for t in ref.themes]
    grammar = {
        # Gates: each is the union of a family of patterns, lower-cased, searched in the lower-cased
        # sentence (4x faster than IGNORECASE); a sentence a gate misses cannot match the family.
        "any_body": _gate(rf"\b{p}\b" for pats in lx["bodies"].values() for p in pats),
        "any_doc": _gate(rf"\b{d['keyword']}s?\b" for d in lx["document_types"]),
        "any_signatory": _gate(rf"\b{_alternation(v)}\s+" for v in lx["signatory_cues"].values()),
        "any_theme": _gate([r"\b" + _alternation(re.escape(term) for t in ref.themes for term in t.terms)]),
        "any_city": _gate([r"\b" + _alternation(re.escape(c) for c in city_names) + r"\b"]),
        "any_actor": _gate([rf"\b{_alternation(lx['paraphrase_actors'])}"]),
        "any_reporting_verb": _gate([rf"\b{_alternation(lx['reporting_verbs'])}\b"]),
        "bodies": body_patterns,
        "bodies_at": _all_at([_folded_twin(p) for p, _, _ in body_patterns]),
        "meeting_noun": re.compile(rf"\b{nouns}s?\b", re.I),
        "meeting_verb": re.compile(rf"\b{_alternation(lx['meeting_verbs'])}\b", re.I),
        "virtual": re.compile(rf"\b{_alternation(lx['virtual_cues'])}\b", re.I),
        "ordinal": re.compile(rf"\b{ord_alt}\s+(?:{fillers}\s+){{0,3}}{nouns}\b", re.I),
        "ordinal_words": ordinal_words,
        "anniversary": re.compile(rf"\b{ord_alt}\s+anniversary\s+of\s+(?:the\s+)?{_alternation(lx['anniversary_of'])}\b", re.I),
        "city": city,
        "city_folded": _folded_twin(city),
        "before_noun": re.compile(rf"\s+(?:sco\s+)?{nouns}\b", re.I),
        "in_place": re.compile(r"\b(?:in|at)\s+(?:the\s+(?:city|capital)\s+of\s+)?$", re.I),
        "unknown_place": re.compile(
            rf"\b(?:{_alternation(lx['meeting_verbs'])}|{nouns})\s+in\s+(?:the\s+(?:city|capital)\s+of\s+)?"
            r"([A-Z][\w'’\-]+(?:[ \-][A-Z][\w'’\-]+){0,2})"),
        "doc_types": doc_kw,
        "doc_types_folded": [_folded_twin(p) for p, _ in doc_kw],
        "status_folded": [_folded_twin(p) for p, _ in status_kw],
        "not_places": {fold_name(p) for p in lx["not_places"]},
        "connectors": set(lx["title_connectors"]),
        "title_opener": re.compile(rf"\s+({_alternation(lx['title_openers'])})\s+", re.I),
        "year_openers": set(lx["title_year_openers"]),
        "determiners": set(lx["title_determiners"]),
        "status": status_kw,
        "any_status": _gate(rf"\b{_alternation(v)}\b" for v in lx["status_verbs"].values()),
        "quote_pairs": lx["quote_pairs"],
        "quote_openers": re.compile("[" + re.escape("".join(lx["quote_pairs"])) + "]"),
        "quote_marks": {opener: re.compile("[" + re.escape(opener + "".join(closers)) + "]")
                        for opener, closers in lx["quote_pairs"].items()},
        "naming_cue": re.compile(rf"\b{_alternation(lx['naming_cues'])}\s*[,:]?\s*$", re.I),
        "quote_intro": re.compile(rf"\b{_alternation(lx['quote_intro_verbs'])}\b[^.;]{{0,40}}?(?:[:,]|\bthat)\s*$", re.I),
        "min_words": int(lx["min_statement_words"]),
        "actor": re.compile(
            rf"\b(?P<actor>{_alternation(lx['paraphrase_actors'])})(?:\s+(?:of|at|from|in)\s+[^,.;:]{{1,60}}?)?\s+"
            rf"(?:{_alternation(lx['adverbs'])}\s+){{0,3}}(?P<verb>{_alternation(lx['reporting_verbs'])})\b", re.I),
        "according_to": re.compile(rf"^\s*(?:{_alternation(lx['source_cues'])})\b", re.I),
        "verb_after_apposition": re.compile(
            rf"^[^.;:]{{0,200}}?,\s*(?:{_alternation(lx['adverbs'])}\s+){{0,3}}(?P<verb>{_alternation(lx['reporting_verbs'])})\b", re.I),
        "verb_after_doc": re.compile(
            rf"^\s*(?:{_alternation(lx['adverbs'])}\s+){{0,3}}(?P<verb>{_alternation(lx['reporting_verbs'])})\b", re.I),
        "lead_in": re.compile(rf"(?:{_alternation(re.escape(c) for c in lx['lead_in_cues'])})", re.I),
        "definition": re.compile(rf"^\s*[»”\"’']?\s*(?:{_alternation(lx['definition_cues'])})(?!\w)", re.I),
        "signatory_cues": [(re.compile(rf"\b{_alternation(v)}\s+", re.I), role)
                           for role, v in lx["signatory_cues"].items()],
        "themes": themes,
        "themes_folded": [_folded_twin(rx) for _, rx in themes],
        # each theme's terms as its folded twin matches them: a lower-cased text holding none of them
        # as a substring cannot match the twin (a test in C, where a scan by the pattern costs 10x more)
        "theme_needles": [tuple(term.lower() for term in t.terms) for t, _ in themes],
    }
    # patterns searched in (nearly) every sentence, with their twins for the lower-cased sentence
    grammar.update({f"{name}_folded": _folded_twin(grammar[name]) for name in FOLDED_SEARCHES})
    return grammar


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
        self.g = _grammar(ref)
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
        self.actor: tuple = (None, None)  # (sentence, its actor match): speaker and paraphrase both ask
        self.folded: str | None = None  # the sentence being read, lower-cased for the gates

    def _search(self, name: str, sent: str) -> re.Match | None:
        """g[name].search(sent); for the sentence being read, its twin's search in the lower-cased
        sentence where there is one (4x faster than IGNORECASE, same offsets; groups are lower-cased)."""
        twin = self.g[f"{name}_folded"]
        if twin is not None and sent is self.sentence and self.folded is not None:
            return twin.search(self.folded)
        return self.g[name].search(sent)

    def _finditer(self, pattern: re.Pattern, twin: re.Pattern | None, sent: str, start: int = 0):
        """pattern.finditer(sent, start); for the sentence being read, its twin's in the lower-cased
        sentence where there is one (as _search)."""
        if twin is not None and sent is self.sentence and self.folded is not None:
            return twin.finditer(self.folded, start)
        return pattern.finditer(sent, start)

    def _gate(self, name: str) -> bool:
        """Whether the current sentence may match the family of patterns behind gate `name`."""
        return self._from(name) is not None

    def _from(self, name: str) -> int | None:
        """Where a search for the family of patterns behind gate `name` may start in the current sentence:
        the gate's first hit (no pattern of the family matches before it; scanning from there finds the
        same matches, `\\b` looking at the character before), 0 where the gates are open, None where none can match."""
        if self.folded is None:
            return 0
        hit = self.g[name].search(self.folded)
        return None if hit is None else hit.start()

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
                self._read_sentence(pi, sstart, send, masked, in_sentence)
        return Extraction(self.src, self.meetings, self.documents, self.statements, self.sentences, self.warnings)

    # -- quotation marks
    def _find_quotes(self) -> list[_Quote]:
        pairs = self.g["quote_pairs"]
        paras = self.src.paragraphs
        starts = [a for a, _ in paras]
        quotes: list[_Quote] = []
        resume = 0
        for mt in self.g["quote_openers"].finditer(self.text):
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
        marks = self.g["quote_marks"][opener]  # the characters that may close or nest this quotation
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
        if self.g["naming_cue"].search(before):
            q.kind = "title" if title_like or ENDS_DOCUMENT.search(before) else "term"
        elif words < self.g["min_words"]:
            q.kind = "term"
        elif q.block or self.g["quote_intro"].search(before):
            q.kind = "statement"
        elif title_like:
            q.kind = "title"
        elif _mostly_capitalised(inner):
            q.kind = "term"
        else:
            q.kind = "statement"

    def _starts_with_doc_keyword(self, inner: str) -> bool:
        head = " ".join(inner.split()[:6])
        folded = _folded(head)
        if folded is not None and None not in self.g["doc_types_folded"]:
            return self.g["any_doc"].search(folded) is not None  # the union of the twins
        return any(p.search(head) for p, _ in self.g["doc_types"])

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
        self.sentence, self.folded = sent, _folded(sent)
        new_meeting = self._meeting_mention(pi, s, e, sent)
        docs = self._document_mentions(pi, s, e, sent, quotes, new_meeting)
        self._signatories(pi, s, e, sent, docs)
        statement_quotes = [q for q in quotes if q.kind == "statement"]
        lead_in = bool(ENDS_COLON.search(sent.rstrip("x”»\"“«' ")) or self._search("lead_in", sent))
        info = {"start": s, "end": e, "para": pi, "docs": docs, "lead_in": lead_in,
                "speaker": self._speaker(s, sent), "defined": self._defined_term(s, e, quotes)}
        for q in statement_quotes:
            if q.block and q.open == s:
                self._quote_statement(q, self.last_sentence, pi)
            else:
                before = {**info, "end": q.open, "docs": [d for d in docs if d.title.start < q.open],
                          "speaker": self._speaker(s, masked[s:q.open]), "lead_in": True}
                self._quote_statement(q, before, pi)
        if not statement_quotes and not lead_in:
            self._paraphrase(s, e, sent, docs)
        if not (statement_quotes and statement_quotes[0].block and statement_quotes[0].open == s):
            self.last_sentence = info

    # -- meetings
    def _meeting_mention(self, pi: int, s: int, e: int, sent: str) -> MeetingMention | None:
        body = self._body(s, sent)
        noun = self._search("meeting_noun", sent)
        if not (noun or body):
            if self._search("meeting_verb", sent):
                self._place(s, sent)  # still warns of a place missing from the gazetteer
            return None
        city, country = self._place(s, sent)
        if not (noun or (body and city) or (body and self._search("meeting_verb", sent))):  # the verb only where it decides
            return None
        ordinal = self._ordinal(s, sent)
        date = self._first_date(s, sent)
        virtual = self._search("virtual", sent)
        council = body is not None and body[2]
        if not (city or country or date or ordinal or council or virtual):
            return None  # "adopted at the meeting": the meeting already in context
        m = MeetingMention(key=(self.src.source_id, len(self.meetings)), sentence=(s, e))
        if body:
            m.body = Val(body[0], body[1][0], body[1][1], "stated", "body_from_council_name")
        if ordinal:
            m.ordinal = ordinal
        if city:
            m.city = city
        if country:
            m.country_code = country
        if date:
            m.date = date
            if date.year:
                m.year = Val(date.year, date.start, date.end, "stated", "date_in_meeting_sentence")
        if virtual:
            m.is_virtual = Val(True, s + virtual.start(), s + virtual.end(), "stated", "virtual_cue")
        if m.year is None:
            m.year = self._anniversary_year(s, sent)
        self.meetings.append(m)
        self.meeting, self.meeting_para = m, pi
        self.document = None
        return m

    def _body(self, s: int, sent: str):
        """The council named first (the longest name where several start there): (body, span, is a council)."""
        folded = self.folded
        first = self.g["any_body"].search(folded) if folded is not None else None
        if folded is not None and first is None:
            return None
        best = None
        at = self.g["bodies_at"]
        if first is not None and at is not None:  # no name starts before the gate's first match: the names there
            regs = at[0].match(folded, first.start()).regs
            for j, (_, body, council) in zip(at[1], self.g["bodies"]):
                a, b = regs[j]
                if a >= 0 and (best is None or b - a > best[0]):
                    best = (b - a, body, (s + a, s + b), council)
            return None if best is None else best[1:]
        for pattern, body, council in self.g["bodies"]:
            mt = pattern.search(sent)
            if mt:
                cand = (mt.start(), -(mt.end() - mt.start()))
                if best is None or cand < best[0]:
                    best = (cand, body, (s + mt.start(), s + mt.end()), council)
        return None if best is None else best[1:]

    def _ordinal(self, s: int, sent: str) -> Val | None:
        mt = self._search("ordinal", sent)
        if not mt:
            return None
        n = int(mt.group(1)) if mt.group(1) else self.g["ordinal_words"][mt.group(2).lower()]
        return Val(n, s + mt.start(), s + mt.start() + len(mt.group(1) or mt.group(2)) + (2 if mt.group(1) else 0),
                   "stated", "ordinal_before_meeting_noun")

    def _anniversary_year(self, s: int, sent: str) -> Val | None:
        mt = self._search("anniversary", sent)
        if not mt:
            return None
        n = int(mt.group(1)) if mt.group(1) else self.g["ordinal_words"][mt.group(2).lower()]
        return Val(self.ref.founding_date.year + n, s + mt.start(), s + mt.end(), "inferred", "anniversary_year")

    def _place(self, s: int, sent: str) -> tuple[Val | None, Val | None]:
        start = self._from("any_city")
        for mt in () if start is None else self._finditer(self.g["city"], self.g["city_folded"], sent, start):
            name = sent[mt.start():mt.end()]
            if not name[0].isupper():
                continue
            rule = ("city_after_in" if self.g["in_place"].search(sent[max(0, mt.start() - 25):mt.start()])
                    else "city_before_meeting_noun" if self.g["before_noun"].match(sent, mt.end()) else None)
            if rule:
                canonical, code = self.ref.cities[fold_name(name)]
                a, b = s + mt.start(), s + mt.end()
                return (Val(canonical, a, b, "stated", rule),
                        Val(code, a, b, "reference", "country_of_city_gazetteer"))
        mt = self.g["unknown_place"].search(sent)
        if mt:
            name = mt.group(1)
            a, b = s + mt.start(1), s + mt.end(1)
            if fold_name(name).split()[0] in MONTHS or fold_name(name) in self.g["not_places"]:
                return None, None
            code = self.ref.states.get(fold_name(name))
            if code:
                return None, Val(code, a, b, "stated", "country_after_in")
            self.warnings.append(Issue(self.src.where(a), "unknown_city",
                                       "place not in the gazetteer (reference/cities.csv); kept as written, country unknown",
                                       value=name))
            return Val(name, a, b, "stated", "place_after_meeting_verb"), None
        return None, None

    # -- dates
    def _dates(self, s: int, sent: str) -> list[DateMention]:
        month, year = DATE_GATES["month"].search(sent), DATE_GATES["year"].search(sent)
        if not (month or year):
            return []
        # (a pattern that needs a digit needs a month name too)
        found_at = {"month": month, "year": year, "digit": DATE_GATES["digit"].search(sent) if month else None}
        taken: list[tuple[int, int]] = []
        found = []
        for pattern, needs, starts_at in DATE_PATTERNS:
            if not all(map(found_at.__getitem__, needs)):
                continue
            for mt in pattern.finditer(sent, found_at[starts_at].start() if starts_at else 0):
                if taken and any(mt.start() < b and a < mt.end() for a, b in taken):
                    continue
                dm = self._date_from_match(s, mt)
                taken.append((mt.start(), mt.end()))
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
                docs.append(self._new_document(pi, s, e, sent, Val(title, a, a + len(title), "stated", "quoted_title"),
                                               dtype, meeting, named=True))
                taken.append((q.open, q.close))
        start = self._from("any_doc")
        for (pattern, spec), twin in zip(self.g["doc_types"], self.g["doc_types_folded"]) if start is not None else ():
            for mt in self._finditer(pattern, twin, sent, start):
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
        for pattern, spec in self.g["doc_types"]:
            mt = pattern.search(title)
            if mt and (best is None or mt.start() < best[0]):
                best = (mt.start(), spec["doc_type"])
        return best[1] if best else "other"

    def _document_at(self, pi, s, e, sent, mt, spec, meeting) -> DocumentMention | None:
        capital = sent[mt.start()].isupper()  # (mt may be the lower-cased sentence's)
        words_before = sent[:mt.start()].split()
        prev = words_before[-1].lower().strip(",") if words_before else ""
        prefix_start = self._title_prefix(sent, mt.start())
        suffix_end = self._title_suffix(sent, mt.end())
        named = capital and (prefix_start < mt.start() or suffix_end > mt.end())
        if not named and not spec.get("generic"):
            return None
        a = s + prefix_start
        b = s + suffix_end
        if not named:
            if prev in ("this", "that", "the", "said", "its") or (capital and prev not in ("a", "an")):
                antecedent = self.last_of_type.get(spec["doc_type"])
                if antecedent is not None:
                    ref_doc = DocumentMention(
                        key=(self.src.source_id, len(self.documents)), sentence=(s, e),
                        title=Val(antecedent.title.value, s + mt.start(), s + mt.end(), "inferred", "anaphora_same_type"),
                        doc_type=antecedent.doc_type, status=self._status(s, sent, mt.start(), mt.end()),
                        antecedent=antecedent.key)
                    self.documents.append(ref_doc)
                    self.document, self.document_para = antecedent, pi
                    return ref_doc
            if not capital and self.meeting is None and meeting is None:
                return None  # a lower-case mention with no meeting in view names nothing we can identify
            if capital and not prev and not spec.get("generic"):
                return None  # "Agreement was reached ...": a capitalised common noun opening a sentence
        title = self.text[a:b]
        return self._new_document(pi, s, e, sent, Val(" ".join(title.split()), a, b, "stated",
                                                       "title_by_keyword" if named else "generic_mention"),
                                  spec["doc_type"], meeting, named=named, kw=(s + mt.start(), s + mt.end()))

    def _new_document(self, pi, s, e, sent, title: Val, doc_type: str, meeting, named: bool, kw=None) -> DocumentMention:
        kw = kw or (title.start, title.end)
        d = DocumentMention(key=(self.src.source_id, len(self.documents)), sentence=(s, e), title=title,
                            doc_type=Val(doc_type, kw[0], kw[1], "stated", "doc_type_from_keyword"),
                            status=self._status(s, sent, title.start - s, title.end - s))
        # a date right after the title ("Declaration of June 16, 2009") or a day in the same sentence
        rest = self.text[title.end:e]
        ta, tb = max(title.start - s, 0), max(title.end - s, 0)
        dates = self._dates(s, sent[:ta] + "x" * (tb - ta) + sent[tb:])
        after = DATE_AFTER_TITLE.match(rest)
        own = next((x for x in dates if after and x.start == title.end + after.end()), None)
        if own and own.day and own.year and not own.end_day:
            d.date = Val(dt.date(own.year, own.month, own.day).isoformat(), own.start, own.end, "stated", "date_after_title")
        else:
            single = [x for x in dates if x.day and x.year and not x.end_day]
            if single:
                x = single[0]
                d.date = Val(dt.date(x.year, x.month, x.day).isoformat(), x.start, x.end, "stated", "date_in_document_sentence")
        if d.date:
            d.year = Val(int(d.date.value[:4]), d.date.start, d.date.end, d.date.basis, d.date.rule)
        else:
            years = [x for x in dates if x.year]
            if years:
                d.year = Val(years[0].year, years[0].start, years[0].end, "stated", "year_in_document_sentence")
            else:
                d.year = self._anniversary_year(title.start, self.text[title.start:title.end])
        self._link_document_meeting(d, pi, meeting)
        self.documents.append(d)
        self.last_of_type[d.doc_type.value] = d
        self.document, self.document_para = d, pi
        if self.pending_founders:
            for sig in self.pending_founders:
                d.signatories.append(Signatory(sig.country_code, sig.name, sig.role, sig.start, sig.end,
                                               "inferred", "founders_to_next_document"))
            self.pending_founders = []
        return d

    def _title_prefix(self, sent: str, kw_start: int) -> int:
        start = kw_start
        for mt in reversed(list(CAPITALISED.finditer(sent[:kw_start]))):
            between = sent[mt.end():start]
            if between.strip() != "" or "\n" in between:
                break
            if mt.group(0).lower() in self.g["determiners"]:
                break
            start = mt.start()
        return start

    def _title_suffix(self, sent: str, kw_end: int) -> int:
        mt = self.g["title_opener"].match(sent, kw_end)
        if not mt:
            return kw_end
        rest = sent[mt.end():]
        first = rest.split()[0] if rest.split() else ""
        year_ok = mt.group(1).lower() in self.g["year_openers"]
        if not first or first.rstrip(".,").lower() in MONTHS:
            return kw_end
        if first[0].isdigit() and not ORDINAL_NUMBER.match(first) and not (year_ok and YEAR_WORD.match(first)):
            return kw_end
        end = kw_end
        pos = mt.end()
        last_good = None
        tokens = list(WORD.finditer(sent, pos))
        for i, tk in enumerate(tokens):
            w = tk.group(0)
            if w == ",":
                nxt = tokens[i + 1].group(0) if i + 1 < len(tokens) else ""
                if nxt[:1].isupper():
                    continue
                break
            if w.lower() == "and" and self._another_title_follows(sent, tk.end()):
                break  # "the Charter of the SCO and the Agreement on ...": two documents, not one title
            is_year = bool(YEAR_TOKEN.match(w))
            if w[0].isupper() or ORDINAL_WORD.match(w) or is_year or w.lower() in self.g["connectors"]:
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
                                  for p, _ in self.g["doc_types"])

    def _status(self, s: int, sent: str, a: int, b: int) -> Val:
        best = None
        start = self._from("any_status") if sent is self.sentence else 0
        for (pattern, status), twin in zip(self.g["status"], self.g["status_folded"]) if start is not None else ():
            for mt in self._finditer(pattern, twin, sent, start):
                dist = min(abs(mt.start() - b), abs(a - mt.end()))
                if best is None or dist < best[0]:
                    best = (dist, status, mt)
        if best is None:
            return Val("mentioned", s + a, s + b, "stated", "status_default_mentioned")
        return Val(best[1], s + best[2].start(), s + best[2].end(), "stated", "status_from_verb")

    def _link_document_meeting(self, d: DocumentMention, pi: int, meeting: MeetingMention | None) -> None:
        city = self._city_in_title(d)
        if meeting is not None:
            d.meeting, d.meeting_rule = meeting.key, "doc_meeting_same_sentence"
        elif city is not None:
            if self.meeting is not None and self.meeting_para == pi and self.meeting.city and self.meeting.city.value == city.value:
                d.meeting, d.meeting_rule = self.meeting.key, "doc_meeting_in_context"
            else:
                implied = MeetingMention(key=(self.src.source_id, len(self.meetings)), sentence=d.sentence,
                                         city=Val(city.value, city.start, city.end, "inferred", "doc_named_after_city"),
                                         implied=True)
                implied.country_code = Val(self.ref.cities[fold_name(city.value)][1], city.start, city.end,
                                           "reference", "country_of_city_gazetteer")
                if d.year is not None:
                    implied.year = Val(d.year.value, d.year.start, d.year.end, "inferred", "doc_named_after_city")
                self.meetings.append(implied)
                d.meeting, d.meeting_rule = implied.key, "doc_named_after_city"
        elif self.meeting is not None and self.meeting_para == pi and self._belongs_to_context(d):
            d.meeting, d.meeting_rule = self.meeting.key, "doc_meeting_in_context"
        if d.meeting is not None:
            self.meeting = self._meeting_by_key(d.meeting)
            self.meeting_para = pi
        elif self.meeting_para != pi:
            self.meeting = None  # a document outside the meeting's paragraph starts a new topic

    def _belongs_to_context(self, d: DocumentMention) -> bool:
        """A document is the meeting's when the text says it was adopted, signed or approved, when it
        is a generic mention ("a joint communiqué"), or when it is not merely referred to by a speaker
        ("the leaders welcomed the progress in implementing the Programme ...")."""
        if d.status.value != "mentioned" or d.title.rule == "generic_mention":
            return True
        return not self.g["actor"].search(self.text[d.sentence[0]:d.title.start])

    def _city_in_title(self, d: DocumentMention) -> Val | None:
        title = self.text[d.title.start:d.title.end]
        kw = d.doc_type.start - d.title.start
        for mt in self.g["city"].finditer(title[:max(kw, 0)]):
            if mt.group(0)[0].isupper():
                canonical, _ = self.ref.cities[fold_name(mt.group(0))]
                return Val(canonical, d.title.start + mt.start(), d.title.start + mt.end(), "stated", "city_in_title")
        return None

    def _meeting_by_key(self, key):
        return self.meetings[key[1]]

    # -- signatories
    def _signatories(self, pi, s, e, sent, docs: list[DocumentMention]) -> None:
        start = self._from("any_signatory")
        if start is None:
            return
        for pattern, role in self.g["signatory_cues"]:
            for mt in pattern.finditer(sent, start):
                states = self._state_list(s, sent, mt.end())
                if not states:
                    continue
                role_name = "signatory" if role == "signed" else "founder"
                target = next((d for d in reversed(docs) if d.title.start - s < mt.start()), None) or (docs[0] if docs else None)
                if target is not None:
                    target = self._resolve_antecedent(target)
                    for code, name, a, b in states:
                        target.signatories.append(Signatory(code, name, role_name, a, b, "stated", "signatories_same_sentence"))
                else:
                    self.pending_founders.extend(
                        Signatory(code, name, role_name, a, b, "stated", "signatories_same_sentence") for code, name, a, b in states)

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
        found = None
        if self._gate("any_reporting_verb"):  # the verb's gate first: cheaper, and it closes more often
            start = self._from("any_actor")  # an actor opens every match
            if start is not None:
                found = self.g["actor"].search(sent, start)
        if sent is self.sentence:
            self.actor = (sent, found)
        return found

    def _speaker(self, s: int, sent: str) -> Val | None:
        mt = self._actor(sent)
        if mt:
            return Val(mt.group("actor"), s + mt.start("actor"), s + mt.end("actor"), "stated", "actor_before_reporting_verb")
        return None

    def _defined_term(self, s: int, e: int, quotes: list[_Quote]) -> Val | None:
        for q in quotes:
            if q.kind == "term" and self.g["definition"].match(self.text[q.end:e]):
                return Val(self.text[q.start:q.end], q.start, q.end, "stated", "defined_term")
        return None

    def _quote_statement(self, q: _Quote, lead: dict | None, pi: int) -> None:
        inner = self.text[q.start:q.end]
        a = q.start + (len(inner) - len(inner.lstrip()))
        b = q.end - (len(inner) - len(inner.rstrip()))
        st = StatementMention(self.src.source_id, a, b, "quotation", "quotation_marks",
                              is_truncated=("…" in inner or "..." in inner or not q.closed))
        doc = None
        if lead is not None:
            if lead["docs"]:
                doc, st.link_rule = self._resolve_antecedent(lead["docs"][-1]), "quote_document_in_lead_in"
            elif lead["lead_in"] and self.document is not None and self.document_para == lead["para"]:
                doc, st.link_rule = self.document, "quote_document_in_paragraph"
            st.speaker = lead.get("speaker")
            st.link_span = (lead["start"], lead["end"])
        st.document = doc.key if doc else None
        st.meeting = self.meeting.key if self.meeting else None
        if st.link_rule is None and st.meeting:
            st.link_rule = "quote_meeting_in_context"
        self._themes(st)
        if lead is not None and lead.get("defined"):
            term = lead["defined"]
            for theme, rx in self.g["themes"]:
                hit = rx.search(term.value)
                if hit and theme.theme_id not in st.themes:
                    st.themes[theme.theme_id] = [Val(hit.group(0), term.start + hit.start(), term.start + hit.end(),
                                                     "inferred", "theme_from_defined_term")]
        self.statements.append(st)

    def _paraphrase(self, s: int, e: int, sent: str, docs: list[DocumentMention]) -> None:
        speaker = None
        doc = None
        mt = self._actor(sent)
        actor_at = s + mt.start("actor") if mt else e
        for d in docs:  # a document that is the subject: "The X Declaration of <date> called for", "The X, held ..., said"
            if d.title.start >= actor_at:
                break
            rest = self.text[d.date.end if d.date is not None and d.date.start >= d.title.end else d.title.end:e]
            verb = self.g["verb_after_doc"].match(rest) or self.g["verb_after_apposition"].match(rest)
            if verb and d.title.end + verb.start("verb") < actor_at:
                doc = self._resolve_antecedent(d)
                speaker = Val(d.title.value, d.title.start, d.title.end, "stated", "document_as_speaker")
                break
        source_rule = None
        if speaker is None and mt:
            speaker = Val(self.text[s + mt.start("actor"):s + mt.end("actor")], s + mt.start("actor"),
                          s + mt.end("actor"), "stated", "actor_before_reporting_verb")
            cited = next((d for d in docs if d.title.start < actor_at), None)
            if cited is not None and self.g["according_to"].match(sent):  # "According to the communiqué, the parties ..."
                doc, source_rule = self._resolve_antecedent(cited), "paraphrase_according_to_document"
            if mt.group("actor").lower() == "it":  # "It called for ...": the document last spoken of
                if self.document is None or self.document_para != self.last_para:
                    return
                doc = self.document
                speaker = Val(doc.title.value, speaker.start, speaker.end, "inferred", "pronoun_for_document")
        if speaker is None:
            return
        st = StatementMention(self.src.source_id, s, e, "paraphrase", "reported_speech", is_truncated=("…" in sent or "..." in sent),
                              speaker=speaker)
        st.document = doc.key if doc else None
        st.meeting = self.meeting.key if self.meeting else None
        st.link_rule = source_rule or ("paraphrase_document_as_speaker" if doc else
                                       ("paraphrase_meeting_in_context" if st.meeting else None))
        self._themes(st)
        self.statements.append(st)

    def _themes(self, st: StatementMention) -> None:
        text = self.text[st.start:st.end]
        folded = _folded(text)
        first = self.g["any_theme"].search(folded) if folded is not None else None
        if folded is not None and first is None:
            return
        start = first.start() if first is not None else 0  # no theme's term starts before the gate's first hit
        for (theme, rx), twin, needles in zip(self.g["themes"], self.g["themes_folded"], self.g["theme_needles"]):
            if twin is not None and folded is not None:
                for needle in needles:
                    if needle in folded:
                        break
                else:
                    continue  # none of the theme's terms is in the text
                found = twin.finditer(folded, start)
            else:
                found = rx.finditer(text, start)
            hits = [Val(text[m.start():m.end()], st.start + m.start(), st.start + m.end(), "stated", "theme_term_in_text")
                    for m in found]
            if hits:
                st.themes[theme.theme_id] = hits


def _mostly_capitalised(inner: str) -> bool:
    words = LETTER_WORDS.findall(inner)
    if not words:
        return True
    caps = sum(1 for w in words if w[0].isupper())
    return caps / len(words) >= 0.6
