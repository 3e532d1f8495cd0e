"""The matching engine: named patterns, written from the lexicon, searched in a text by name.

The reader asks for a pattern or a family of patterns by name and gets matches whose positions are
those of the text it gave; it reads words from that text by those positions. Everything that makes
the searches fast lives here and nowhere else: gates (a cheap search that must hit wherever a family
can match, and tells where it may start), lower-cased twins of case-insensitive patterns (searched in
a lower-cased copy of the sentence, same offsets), alternations factored by their first letters, and
one match at a position for many patterns. The tests of their equivalence are at this interface.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from pipeline.ingest import SENTENCE_END, trim
from pipeline.reference import Reference

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



# --- dates ----------------------------------------------------------------------------------------

def _date_patterns(lx) -> tuple[list, dict[str, re.Pattern]]:
    """The date patterns, most specific first, and their gates, written from the lexicon's month names
    and small words. Each pattern comes with what it needs and where it may start: a sentence without
    a month name, a year or a digit skips the patterns that need one; a pattern that opens with a month
    name or a year is searched from the first place that gate finds one (no match can start before);
    written by _factored, as the gates are. Named groups: d, m, d2, m2, y (m a name, mn a number)."""
    month = r"(?:" + "|".join(sorted((m.capitalize() for m in lx.months), key=len, reverse=True)) + r")\.?"
    dash = rf"\s*{alternation(re.escape(w) for w in lx.date_range_links)}\s*"
    suffixes = alternation(lx.ordinal_suffixes)

    def day(name: str) -> str:
        return rf"(?:{alternation(lx.day_articles)}\s+)?(?P<{name}>\d{{1,2}})(?:{suffixes})?(?:\s+{alternation(lx.day_links)})?"

    def year(name: str = "y") -> str:
        return rf"(?P<{name}>(?:19|20)\d{{2}})\b"

    patterns = [
        (rf"\b{day('d')}\s+(?P<m>{month}){dash}{day('d2')}\s+(?P<m2>{month}),?\s*(?:{year()})?", ("month", "digit"), None),
        (rf"\b(?P<m>{month})\s+{day('d')}{dash}(?P<m2>{month})\s+{day('d2')},?\s*(?:{year()})?", ("month", "digit"), "month"),
        (rf"\b{day('d')}(?:{dash}{day('d2')})?\s+(?P<m>{month})(?:,?\s*{year()})?", ("month", "digit"), None),
        (rf"\b(?P<m>{month})\s+{day('d')}(?:{dash}{day('d2')})?(?!\d)(?:,?\s*{year()})?", ("month", "digit"), "month"),
        (rf"\b{year()}-(?P<mn>[01]\d)-(?P<d>[0-3]\d)\b", ("year",), "year"),
        (rf"\b(?P<m>{month}),?\s+{year()}", ("month", "year"), "month"),
        (rf"\b{alternation(lx.month_leads)}\s+(?P<m>{month})\b", ("month",), None),
        (rf"\b{alternation(lx.year_leads)}\s+{year()}", ("year",), None),
        (rf"\b{year()}\s+{alternation(lx.year_meeting_nouns)}\b", ("year",), "year"),
    ]
    gates = {  # where none is found, no pattern that needs it is tried
        "month": re.compile(_factored(month)),
        "year": re.compile(r"(?:19|20)\d{2}"),
        "digit": re.compile(r"\d"),  # a day's number
    }
    return [(re.compile(_factored(p)), needs, starts_at) for p, needs, starts_at in patterns], gates


# --- lower-cased copies and gates -------------------------------------------------------------

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


_CAPITALISED_WORD = r"[A-Z][\w'’\-]*"


def _either_case(word: str) -> str:
    """A word as written or with its first letter upper-cased ("[Tt]he")."""
    return f"[{word[0].upper()}{word[0]}]{re.escape(word[1:])}"


def _spaced(phrases) -> str:
    """An alternation of phrases whose spaces match any run of white space."""
    return alternation(r"\s+".join(re.escape(w) for w in p.split()) for p in phrases)


def alternation(items) -> str:
    """A non-capturing group of the items, longest first (so that a longer phrase wins at a place)."""
    return "(?:" + "|".join(sorted(items, key=len, reverse=True)) + ")"


# --- the engine -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Single:
    """One named pattern; with the gates that must hit first and where its matches may start."""

    pattern: re.Pattern
    twin: re.Pattern | None = None   # for the lower-cased text
    requires: tuple[str, ...] = ()   # gates none of whose misses can hold a match
    starts_at: str | None = None     # the gate whose first hit no match starts before


@dataclass(frozen=True)
class _Family:
    """Labelled patterns searched together: each member's matches, behind one gate."""

    members: tuple[tuple[object, re.Pattern], ...]
    gate: str
    twins: tuple[re.Pattern | None, ...] | None = None
    needles: tuple[tuple[str, ...], ...] | None = None  # a member's literal terms: none in the text, no match


class Matcher:
    """The patterns of the grammar by name, and the ways to search them fast (module docstring)."""

    def __init__(self, singles: dict[str, _Single], families: dict[str, _Family], gates: dict[str, re.Pattern],
                 dates: tuple[list, dict[str, re.Pattern]], months: dict[str, int], abbreviations: tuple[str, ...]):
        self.singles, self.families, self.gates = singles, families, gates
        # a full stop after one of these, or after a single letter, ends no sentence
        self.abbreviation = re.compile(rf"(?:\b{alternation(re.escape(a) for a in abbreviations)}|\b[A-Za-z])\.$")
        self.abbreviation_reach = max(map(len, abbreviations), default=1) + 2  # the characters it looks at
        self.date_patterns, self.date_gates = dates
        self.months = months  # month name or abbreviation (lower case) -> its number
        self._at: dict[str, tuple | None] = {}  # per family, one match of all its members' twins at a place

    def all_at(self, family: str) -> tuple[re.Pattern, list[int]] | None:
        """The family's members' twins as one pattern matched at a place (see _all_at), made on first use."""
        if family not in self._at:
            self._at[family] = _all_at([_folded_twin(p) for _, p in self.families[family].members])
        return self._at[family]

    def scan(self, text: str) -> Scan:
        """`text` prepared for many searches (its lower-cased copy made once)."""
        return Scan(self, text, _folded(text))

    def plain(self, text: str) -> Scan:
        """`text` for a search or two: the patterns as written, no copy made."""
        return Scan(self, text, None)

    def search(self, name: str, text: str, start: int = 0) -> re.Match | None:
        """The first match of pattern `name` in `text` from `start`."""
        return self.singles[name].pattern.search(text, start)

    def match(self, name: str, text: str, start: int = 0) -> re.Match | None:
        """A match of pattern `name` at `start` of `text`."""
        return self.singles[name].pattern.match(text, start)

    def finditer(self, name: str, text: str, start: int = 0):
        """Every match of pattern `name` in `text` from `start`."""
        return self.singles[name].pattern.finditer(text, start)

    def sentences(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Sentence spans within text[start:end], trimmed of surrounding whitespace."""
        spans = []
        cursor = start
        # from one place back: an end whose punctuation is just before `start` (as if looked behind)
        for m in SENTENCE_END.finditer(text, max(start - 1, 0), end):
            stop = m.start() + 1
            if self.abbreviation.search(text, max(start, stop - self.abbreviation_reach), stop):
                continue
            spans.append((cursor, stop))
            cursor = m.end()
        spans.append((cursor, end))
        return [trim(text, s, e) for s, e in spans if text[s:e].strip()]

    def dates(self, text: str) -> list[re.Match]:
        """Every date pattern's matches in `text` that overlap no match of a more specific pattern, most
        specific pattern first (each pattern's in text order)."""
        gates = self.date_gates
        month, year = gates["month"].search(text), gates["year"].search(text)
        if not (month or year):
            return []
        # (a pattern that needs a digit needs a month name too)
        found_at = {"month": month, "year": year, "digit": gates["digit"].search(text) if month else None}
        taken: list[tuple[int, int]] = []
        found = []
        for pattern, needs, starts_at in self.date_patterns:
            if not all(map(found_at.__getitem__, needs)):
                continue
            for mt in pattern.finditer(text, found_at[starts_at].start() if starts_at else 0):
                if taken and any(mt.start() < b and a < mt.end() for a, b in taken):
                    continue
                taken.append((mt.start(), mt.end()))
                found.append(mt)
        return found

    def members(self, family: str) -> tuple[tuple[object, re.Pattern], ...]:
        """The labelled patterns of a family, in their order."""
        return self.families[family].members


class Scan:
    """A text being searched, with its lower-cased copy where lower-casing is case folding (else None:
    every gate open, every pattern as written). Match positions are the text's; a match of a twin
    holds lower-cased groups, so words are read from the text by position."""

    __slots__ = ("m", "text", "folded")

    def __init__(self, matcher: Matcher, text: str, folded: str | None):
        self.m, self.text, self.folded = matcher, text, folded

    def start_of(self, gate: str) -> int | None:
        """Where a search of what gate `gate` guards may start: its first hit (0 with the gates open),
        None where nothing it guards can match."""
        if self.folded is None:
            return 0
        hit = self.m.gates[gate].search(self.folded)
        return None if hit is None else hit.start()

    def _start(self, single: _Single, start: int) -> int | None:
        for gate in single.requires:
            if self.start_of(gate) is None:
                return None
        if single.starts_at is not None:
            at = self.start_of(single.starts_at)
            return None if at is None else max(at, start)
        return start

    def search(self, name: str, start: int = 0) -> re.Match | None:
        """The first match of pattern `name` from `start`."""
        single = self.m.singles[name]
        if single.requires or single.starts_at is not None:
            start = self._start(single, start)
            if start is None:
                return None
        if single.twin is not None and self.folded is not None:
            return single.twin.search(self.folded, start)
        return single.pattern.search(self.text, start)

    def finditer(self, name: str, start: int = 0):
        """Every match of pattern `name` from `start`."""
        single = self.m.singles[name]
        if single.requires or single.starts_at is not None:
            start = self._start(single, start)
            if start is None:
                return ()
        if single.twin is not None and self.folded is not None:
            return single.twin.finditer(self.folded, start)
        return single.pattern.finditer(self.text, start)

    def each(self, family: str):
        """(label, matches) for each member of a family that may match, in the family's order."""
        fam = self.m.families[family]
        start = self.start_of(fam.gate)
        if start is None:
            return
        folded = self.folded
        for i, (label, pattern) in enumerate(fam.members):
            twin = fam.twins[i] if fam.twins is not None and folded is not None else None
            if twin is not None:
                if fam.needles is not None:
                    for needle in fam.needles[i]:
                        if needle in folded:
                            break
                    else:
                        continue  # none of the member's terms is in the text
                yield label, twin.finditer(folded, start)
            else:
                yield label, pattern.finditer(self.text, start)

    def any(self, family: str) -> bool:
        """Whether any member of a family matches."""
        return any(next(iter(found), None) is not None for _, found in self.each(family))

    def first_longest(self, family: str) -> tuple[object, int, int] | None:
        """The member that matches first, the longest where several start there (the first listed of
        equals): its label and span."""
        fam, folded = self.m.families[family], self.folded
        first = self.m.gates[fam.gate].search(folded) if folded is not None else None
        if folded is not None and first is None:
            return None
        best = None
        at = self.m.all_at(family) if first is not None else None
        if at is not None:  # no member starts before the gate's first hit: those there
            regs = at[0].match(folded, first.start()).regs
            for j, (label, _) in zip(at[1], fam.members):
                a, b = regs[j]
                if a >= 0 and (best is None or b - a > best[0]):
                    best = (b - a, label, a, b)
            return None if best is None else best[1:]
        for label, pattern in fam.members:
            mt = pattern.search(self.text)
            if mt:
                cand = (mt.start(), -(mt.end() - mt.start()))
                if best is None or cand < best[0]:
                    best = (cand, label, mt.start(), mt.end())
        return None if best is None else best[1:]


@functools.lru_cache(maxsize=8)
def matcher_for(ref: Reference) -> Matcher:
    """The grammar's patterns, written from the lexicon's parts, in one Matcher (one per reference)."""
    lx = ref.lexicon
    ci = re.I
    nouns = alternation(lx.meeting_nouns)
    ordinal_words = {k.lower(): v for k, v in lx.ordinal_words.items()}
    ord_alt = rf"(?:(\d{{1,2}}){alternation(lx.ordinal_suffixes)}|(" + alternation(re.escape(w) for w in ordinal_words) + r"))"
    fillers = alternation(lx.ordinal_fillers)
    city_names = sorted(ref.cities, key=len, reverse=True)
    adverbs, verbs = alternation(lx.adverbs), alternation(lx.reporting_verbs)
    conjunctions = alternation(lx.list_conjunctions)
    # who may speak: the lexicon's actors, and the office-holders of reference/offices.csv by name
    actors = alternation([a.pattern for a in lx.paraphrase_actors] + [_spaced([name]) for name in ref.people])
    month_names = alternation(m.capitalize() for m in lx.months)
    intro = alternation(lx.quote_intro_verbs)
    doc_verbs = alternation(lx.reporting_verbs + lx.document_verbs)
    doc_words = (rf"(?:{alternation(lx.definite_articles)})\s+"
                 rf"(?:{alternation([d.keyword for d in lx.document_types] + list(lx.document_nouns))})")

    def single(pattern: str, flags: int = ci, twin: bool = False, **gates) -> _Single:
        rx = re.compile(pattern, flags)
        return _Single(rx, _folded_twin(rx) if twin else None, **gates)

    singles = {
        # searched in (nearly) every sentence: with their twins for the lower-cased sentence
        "meeting_noun": single(rf"\b{nouns}s?\b", twin=True),
        "meeting_verb": single(rf"\b{alternation(lx.meeting_verbs)}\b", twin=True),
        "virtual": single(rf"\b{alternation(lx.virtual_cues)}\b", twin=True),
        # an office of a state before its holder's name: "Minister of Foreign Affairs of the Russian Federation Sergey Lavrov"
        "office_of_state": single(rf"\bof\s+(?:{alternation(lx.definite_articles)}\s+)?(?P<state>{_spaced(ref.states)})\s+"
                                  rf"(?P<name>(?-i:[A-Z][\w’'\-]+)(?:\s+(?-i:[A-Z][\w’'\-]+)){{1,2}})$"),
        "the_council": single(rf"\b(?:{alternation(lx.definite_articles)})\s+{alternation(lx.council_nouns)}\b", twin=True),
        "future_meeting": single(rf"\b{alternation(lx.future_meeting_cues)}\s+(?:{fillers}\s+){{0,3}}{nouns}\b"
                                 rf"|\b{nouns}\b[^.;:]{{0,120}}?\b{_spaced(lx.future_meeting_after)}\b", twin=True),
        "ordinal": single(rf"\b{ord_alt}\s+(?:{fillers}\s+){{0,3}}{nouns}\b", twin=True),
        # "the meeting ..., the 13th since the organisation was founded": an ordinal in apposition
        "ordinal_after_meeting": single(rf"\b{nouns}\b[^.;:]*?,\s+(?:{alternation(lx.definite_articles)})\s+{ord_alt}"
                                        rf"(?=\s+(?:{alternation(lx.ordinal_after_links)})\b)", twin=True),
        # a person's possessive before an ordinal ("Xi's first summit"), not the organisation's ("the SCO's")
        "person_possessive": single(rf"(?:\b(?!(?:{alternation(lx.anniversary_of)})['’])[A-Za-z][\w\-]*['’]s"
                                    rf"|\b{alternation(lx.person_possessives)})\s+$"),
        "anniversary": single(rf"\b{ord_alt}\s+{_spaced(lx.anniversary_cues)}\s+{alternation(lx.anniversary_of)}\b", twin=True),
        "theme_neutral_name": single(rf"\b{alternation(lx.theme_neutral_names)}\b", twin=True),
        "procedure": single(rf"\b{alternation(lx.procedure_cues)}\b", twin=True),
        "lead_in": single(rf"(?:{alternation(re.escape(c) for c in lx.lead_in_cues)})", twin=True),
        "city": single(r"\b(" + "|".join(re.escape(c) for c in city_names) + r")\b", twin=True, starts_at="any_city"),
        "actor": single(
            rf"\b(?P<actor>{actors})(?:\s+{alternation(lx.actor_qualifiers)}\s+[^,.;:]{{1,60}}?)?\s+"
            rf"(?:{adverbs}\s+){{0,3}}(?P<verb>{verbs})\b", requires=("any_reporting_verb",), starts_at="any_actor"),
        "unknown_place": single(
            rf"\b(?:{alternation(lx.meeting_verbs)}|{nouns})\s+{alternation(lx.place_prepositions)}\s+"
            rf"(?:{_spaced(lx.place_descriptors)}\s+)?"
            r"([A-Z][\w'’\-]+(?:[ \-][A-Z][\w'’\-]+){0,2})", flags=0),
        "title_opener": single(rf"\s+({alternation(lx.title_openers)})\s+"),
        "quote_openers": single("[" + re.escape("".join(lx.quote_pairs)) + "]", flags=0),
        "naming_cue": single(rf"\b{alternation(lx.naming_cues)}\s*[,:]?\s*$"),
        "quote_intro": single(rf"\b{alternation(lx.quote_intro_verbs)}\b[^.;]{{0,40}}?(?:[:,]|\bthat)\s*$"),
        "according_to": single(rf"^\s*(?:{alternation(lx.source_cues)})\b"),
        # who the words after a quotation give it to ("..., <Name> said", "..., said the declaration")
        "attribution_after": single(rf"^\s*[,;:]?\s*(?P<actor>{doc_words}|{actors})\s+(?:{adverbs}\s+){{0,3}}(?P<verb>{intro})\b"),
        "attribution_after_inverted": single(rf"^\s*[,;:]?\s*(?P<verb>{intro})\s+(?P<actor>{doc_words}|{actors})\b"),
        # a document named at the end of a sentence it is given to ("..., the declaration said.")
        "attribution_tail": single(rf",\s*(?P<actor>{doc_words})\s+(?P<verb>{intro})\s*[.!]?\s*$"),
        "according_to_actor": single(rf"^\s*(?:{alternation(lx.source_cues)})\s+(?P<actor>{actors})\s*,"),
        # "In the Declaration, the member states ...": the words that follow are the document's
        "document_frame": single(rf"^\s*(?:{alternation(lx.document_frame_cues)})\s+"
                                 rf"(?:{alternation(lx.definite_articles + lx.anaphora_determiners)}\s+)?"),
        "verb_after_apposition": single(rf"^[^.;:]{{0,200}}?,\s*(?:{adverbs}\s+){{0,3}}(?P<verb>{doc_verbs})\b"),
        "verb_after_doc": single(rf"^\s*(?:{adverbs}\s+){{0,3}}(?P<verb>{doc_verbs})\b"),
        # a title that complements another noun ("the implementation of the Programme", "of the 2007 Treaty")
        "complement_link": single(rf"\b{alternation(lx.complement_links)}\s+"
                                  rf"(?:{alternation(lx.definite_articles + lx.indefinite_articles)}\s+)?(?:(?:19|20)\d\d\s+)?$"),
        "institution_head": single(rf"\s+{alternation(lx.institution_heads)}\b"),
        "year_before_title": single(r"\b((?:19|20)\d\d)\s+$", flags=0),
        # a clause right after a title that dates it ("the SCO Charter, adopted fifteen years earlier, in 2002")
        "year_after_title": single(rf"\s*,\s*(?:{alternation(v for vs in lx.status_verbs.values() for v in vs)})\b"
                                   rf"[^.;:]{{0,40}}?\b(?:{alternation(lx.year_leads)})\s+((?:19|20)\d\d)\b"),
        "title_date_link": single(rf"\s*{alternation(lx.title_date_links)}\s+", flags=0),
        "definition": single(rf"^\s*[»”\"’']?\s*(?:{alternation(lx.definition_cues)})(?!\w)"),
        # a number with an ordinal ending ("20th") at the start of a word, and a word that is one
        "ordinal_number": single(rf"\d+{alternation(lx.ordinal_suffixes)}\b", flags=0),
        "ordinal_token": single(rf"\d+{alternation(lx.ordinal_suffixes)}$", flags=0),
        # a place said in passing, with its date perhaps ("founded in <City> on 15 June 2001")
        "passing_place": single(
            rf"\b{_spaced(lx.passing_place_verbs)}\s+{alternation(lx.passing_place_prepositions)}\s+"
            rf"{_CAPITALISED_WORD}(?:[ \-]{_CAPITALISED_WORD}){{0,2}}"
            rf"(?:\s*,?\s+{alternation(lx.passing_date_links)}\s+(?:\d{{1,2}}\s+)?(?:{month_names}\.?\s+)?"
            rf"(?:\d{{1,2}},?\s+)?(?:19|20)\d\d\b)?", flags=0),
        "ends_document": single(rf"\b{alternation(lx.document_nouns)}\s*,?\s*$"),
        # a capitalised name of up to four words, after an article perhaps: what may follow "and" in a title
        "title_head": single(rf"\s+(?:{alternation(lx.definite_articles + lx.indefinite_articles)}\s+)?"
                             rf"((?:{_CAPITALISED_WORD}\s+){{0,3}}{_CAPITALISED_WORD})", flags=0),
        # one state's name in a list of them ("Russia, the Republic of India and China")
        "state_list": single(rf"(?:,\s*(?:{conjunctions}\s+)?|\s+{conjunctions}\s+|^)"
                             rf"(?:{alternation(_either_case(w) for w in lx.definite_articles)}\s+)?"
                             rf"({_CAPITALISED_WORD}(?:\s+(?:{alternation(lx.name_connectors)}\s+)?{_CAPITALISED_WORD})*)",
                             flags=0),
    }
    for opener, closers in lx.quote_pairs.items():  # the characters that may close or nest a quotation
        singles[f"quote_marks:{opener}"] = single("[" + re.escape(opener + "".join(closers)) + "]", flags=0)

    def family(members, gate: str, twins: bool = True, needles=None) -> _Family:
        members = tuple(members)
        return _Family(members, gate, tuple(_folded_twin(p) for _, p in members) if twins else None, needles)

    bodies = [((body, p.startswith("council")), re.compile(rf"\b{p}\b", ci))
              for body, pats in lx.bodies.items() for p in pats]
    themes = [(t, re.compile(r"\b(" + alternation(t.signals) + r")(?:s|es)?\b", ci))
              for t in ref.themes]
    families = {
        "bodies": family(bodies, "any_body", twins=False),
        "doc_types": family(((d, re.compile(rf"\b{d.keyword}s?\b", ci)) for d in lx.document_types), "any_doc"),
        "status": family(((status, re.compile(rf"\b{alternation(v)}\b", ci)) for status, v in lx.status_verbs.items()),
                         "any_status"),
        "signatory_cues": family(((role, re.compile(rf"\b{alternation(v)}\s+", ci)) for role, v in lx.signatory_cues.items()),
                                 "any_signatory", twins=False),
        # a theme's terms as its twin matches them: a lower-cased text holding none of them as a substring
        # cannot match the twin (a test in C, where a scan by the pattern costs 10x more)
        "themes": family(themes, "any_theme", needles=tuple(tuple(term.lower() for term in t.terms)
                                                            + tuple(p.needle for p in t.patterns) for t, _ in themes)),
    }
    # Gates: each is the union of a family of patterns, lower-cased, searched in the lower-cased
    # text (4x faster than IGNORECASE); a text a gate misses cannot match the family.
    gates = {
        "any_body": _gate(rf"\b{p}\b" for pats in lx.bodies.values() for p in pats),
        "any_doc": _gate(rf"\b{d.keyword}s?\b" for d in lx.document_types),
        "any_signatory": _gate(rf"\b{alternation(v)}\s+" for v in lx.signatory_cues.values()),
        "any_theme": _gate([r"\b" + alternation(signal for t in ref.themes for signal in t.signals)]),
        "any_city": _gate([r"\b" + alternation(re.escape(c) for c in city_names) + r"\b"]),
        "any_actor": _gate([rf"\b{actors}"]),
        "any_reporting_verb": _gate([rf"\b{verbs}\b"]),
        "any_status": _gate(rf"\b{alternation(v)}\b" for v in lx.status_verbs.values()),
    }
    return Matcher(singles, families, gates, _date_patterns(lx), dict(lx.months), lx.abbreviations)
