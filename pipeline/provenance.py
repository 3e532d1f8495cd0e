"""Provenance: where every value rests and how it was concluded.

One span type, `Span` (start, end, basis, rule), that a value read from a text (`Val`), a signatory
(`Signatory`) and the evidence of a record's field (`Ev`) all are; records under construction with
the evidence of each field (`Fielded`); ids made from natural keys; the evidence table's rows, one
per value and span, at most EVIDENCE_PER_VALUE per rule; and coverage, which records each sentence
of a source is used by.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import hashlib
import operator
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

EVIDENCE_PER_VALUE = 3  # spans kept per (record, field, rule); coverage still counts every one
EVIDENCE_COLUMNS = ("evidence_id", "table_name", "record_id", "field", "value", "source_id", "char_start", "char_end",
                    "span_text", "basis", "rule_id")


def sent_as_fields(cls):
    """Instances go from process to process (`__reduce__`) as their class and field values in order:
    mentions travel from every extraction worker, and dataclasses' own way (a dict of slots per
    object) is three times slower."""
    values = operator.attrgetter(*(f.name for f in dataclasses.fields(cls)))

    def __reduce__(self):
        return cls, values(self)

    cls.__reduce__ = __reduce__
    return cls


@dataclass(slots=True)  # not frozen: made and sent by the hundred thousand, and frozen makes each 4x slower
class Span:
    """Where something rests in a text (characters start:end), its basis (stated, inferred,
    reference) and the rule that concluded it."""

    start: int
    end: int
    basis: str
    rule: str


@sent_as_fields
@dataclass(slots=True)
class Val(Span):
    """A value with the span it rests on."""

    value: object


@sent_as_fields
@dataclass(slots=True)
class Signatory(Span):
    """A state named as signing or founding a document, and the span that names it."""

    country_code: str
    name: str
    role: str


@dataclass(slots=True)
class Ev(Span):
    """Evidence for one field of a record: a span of one source."""

    source_id: str


def val_by(value, start: int, end: int, rule) -> Val:
    """A value read by a rule from a span: its basis and id are the rule's."""
    return Val(start, end, rule.basis, rule.rule_id, value)


def evidence_of_value(source_id: str, v: Span) -> Ev:
    """Evidence for a value (or signatory) as its mention read it."""
    return Ev(v.start, v.end, v.basis, v.rule, source_id)


def evidence_by(source_id: str, start: int, end: int, rule) -> Ev:
    """Evidence for a value a rule concluded from a span: the rule's basis and id."""
    return Ev(start, end, rule.basis, rule.rule_id, source_id)


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


def hash_id(prefix: str, *parts) -> str:
    """A short deterministic identifier from natural-key parts (never from row order)."""
    digest = hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()
    return f"{prefix}_{digest[:12]}"


@functools.lru_cache(maxsize=65536)  # the same places and titles recur in every source
def slug(text: str) -> str:
    """Lower-case ASCII letters and digits joined by underscores: a place or title in an id."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


@functools.lru_cache(maxsize=65536)
def norm_title(title: str) -> str:
    """A title as the words of its slug: the part of a document's id that names it."""
    return " ".join(slug(title).split("_"))


def evidence_id(table: str, rid: str, name: str, sid: str, start: int, end: int, rule) -> str:
    """An evidence row's id: its record's field, its span and its rule."""
    return hash_id("ev", table, rid, name, sid, start, end, rule)


def evidence_value(value) -> str:
    """A value as the evidence table writes it (booleans as true/false)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def evidence_row(table: str, rid: str, name: str, value, sid: str, start: int, end: int, text: str, basis: str,
                 rule: str) -> tuple:
    """An evidence row, its values in EVIDENCE_COLUMNS order (a tuple: there are many); `text` is the
    source's text."""
    return (evidence_id(table, rid, name, sid, start, end, rule), table, rid, name, evidence_value(value), sid,
            start, end, " ".join(text[start:end].split()), basis, rule)


class EvidenceRows:
    """Evidence rows of one source, appended to its evidence columns: one per value and span, at most
    EVIDENCE_PER_VALUE per rule."""

    def __init__(self, columns: dict[str, list], text: str):
        self.append = [columns[c].append for c in EVIDENCE_COLUMNS]
        self.text = text
        self.kept: dict[tuple, list[tuple[int, int]]] = {}

    def add(self, table, rid, name, value, sid, start, end, basis, rule) -> None:
        spans = self.kept.setdefault((table, rid, name, rule), [])
        if (start, end) in spans or len(spans) >= EVIDENCE_PER_VALUE:
            return  # the same span again (same evidence id), or enough spans for this value and rule
        spans.append((start, end))
        for append, v in zip(self.append, evidence_row(table, rid, name, value, sid, start, end, self.text, basis, rule)):
            append(v)


def record_evidence(records: list, texts: dict[str, str]) -> tuple[list[tuple], dict[str, list]]:
    """The evidence rows of merged records (table, record id, Fielded), and the spans they rest on by
    source (for coverage).

    One row per value and span; a value stated or inferred again and again (a meeting named in
    many sources) keeps its first EVIDENCE_PER_VALUE spans per rule, in source order; coverage
    still counts every occurrence. Spans come flat per source (start, end, user, start, ...): no tuple each."""
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
                        rows.append(evidence_row(table, rid, name, value, e.source_id, e.start, e.end,
                                                 texts[e.source_id], e.basis, e.rule))
                        if len(keys) == EVIDENCE_PER_VALUE:
                            full += 1
                            if full == rules:
                                break
    return rows, by_source


def sentence_users(starts: list[int], ends: list[int], spans: Iterable[tuple[int, int, str]]) -> dict[int, set[str]]:
    """For the sentences starts[i]:ends[i] (sorted, disjoint), the records whose spans overlap each (an
    empty span: the sentence it sits in), by sentence index; sentences no span touches are left out
    (most are). A sweep, not a product."""
    users: dict[int, set[str]] = {}
    n = len(starts)
    for a, b, who in spans:
        stop = b if b > a else a + 1
        i = bisect.bisect_right(starts, a) - 1
        if i < 0:
            i = 0
        while i < n and starts[i] < stop:
            if ends[i] > a:
                found = users.get(i)
                if found is None:
                    users[i] = {who}
                else:
                    found.add(who)
            i += 1
    return users


def coverage_rows(rows: dict[str, list], text: str, sid: str, sentences, spans) -> None:
    """A source's coverage rows, appended to its coverage columns: each sentence and the records
    whose spans (start, end, user) it holds."""
    starts, ends = [a for a, _ in sentences], [b for _, b in sentences]
    users_of = sentence_users(starts, ends, spans)
    rows["source_id"].extend([sid] * len(sentences))
    rows["sentence_no"].extend(range(1, len(sentences) + 1))
    rows["char_start"].extend(starts)
    rows["char_end"].extend(ends)
    rows["text"].extend(" ".join(text[a:b].split()) for a, b in sentences)
    rows["is_used"].extend(i in users_of for i in range(len(sentences)))
    rows["used_by"].extend(" | ".join(sorted(users_of[i])) if i in users_of else None for i in range(len(sentences)))


def with_more_users(batch, spans_of):
    """A coverage table (Arrow) with the users of more spans added: `spans_of(source_id)` gives a
    source's spans flat (start, end, user, start, ...)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    runs = pc.run_end_encode(batch.column("source_id").combine_chunks())  # a source's sentences are together
    starts, ends = batch.column("char_start").to_pylist(), batch.column("char_end").to_pylist()
    used_by = batch.column("used_by").to_pylist()
    lo = 0
    for sid, hi in zip(runs.values.to_pylist(), runs.run_ends.to_pylist()):  # a source at a time, sorted
        spans = spans_of(sid)
        if spans:
            triples = zip(*[iter(spans)] * 3)
            for i, users in sentence_users(starts[lo:hi], ends[lo:hi], triples).items():
                i += lo
                if used_by[i]:
                    users.update(used_by[i].split(" | "))
                used_by[i] = " | ".join(sorted(users))
        lo = hi
    batch = batch.set_column(batch.schema.get_field_index("used_by"), "used_by", pa.array(used_by, pa.string()))
    return batch.set_column(batch.schema.get_field_index("is_used"), "is_used",
                            pa.array([u is not None for u in used_by], pa.bool_()))
