"""The lexicon and the code lists as typed objects: a missing, misspelt or mistyped key fails at load."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Code(_Strict):
    """One code of a list, with its label; `default` marks the code given when nothing decides."""

    code: str
    label: str
    default: bool = False


class CodeList(_Strict):
    """A code list and the columns (table.column) whose values it holds, in its order."""

    columns: tuple[str, ...]
    codes: tuple[Code, ...]

    @property
    def values(self) -> tuple[str, ...]:
        """The codes, in order."""
        return tuple(c.code for c in self.codes)

    @property
    def rank(self) -> dict[str, int]:
        """Each code's place in the list (0 first)."""
        return {c.code: i for i, c in enumerate(self.codes)}

    @property
    def labels(self) -> dict[str, str]:
        """Each code's label."""
        return {c.code: c.label for c in self.codes}

    @property
    def default(self) -> str:
        """The code marked default."""
        return next(c.code for c in self.codes if c.default)


class Codes(_Strict):
    """Every code list of the dataset (reference/codes.yaml)."""

    bodies: CodeList
    doc_types: CodeList
    statuses: CodeList
    signatory_roles: CodeList
    statement_kinds: CodeList
    bases: CodeList
    theme_bases: CodeList
    date_precisions: CodeList
    problems: CodeList
    stages: CodeList
    speaker_types: CodeList


class DocumentType(_Strict):
    """A document keyword (a pattern) and the doc_type code it gives."""

    keyword: str
    doc_type: str
    generic: bool = False  # a lower-case mention ("a joint communiqué") stands for the meeting's document


ANTECEDENT = "antecedent"  # an actor that stands for the speaker before it


class Actor(_Strict):
    """Who may speak (a pattern), and the kind of speaker it is: a code of speaker_types, or
    `antecedent` (the speaker before: "they")."""

    pattern: str
    speaker_type: str


class MeetingLabels(_Strict):
    """How a meeting's label (meetings.label) is written; a place and a year follow, after commas."""

    numbered: str       # with {ordinal} ("4th") and {council} (the council's label in codes.yaml)
    unnumbered: str     # with {council}
    no_council: str     # a meeting whose council is not known
    virtual_place: str  # the place of a meeting held by videoconference


class Lexicon(_Strict):
    """The words and phrase fragments the extractor recognises (reference/lexicon.yaml documents each)."""

    bodies: dict[str, tuple[str, ...]]
    meeting_nouns: tuple[str, ...]
    meeting_verbs: tuple[str, ...]
    not_places: tuple[str, ...]
    virtual_cues: tuple[str, ...]
    ordinal_words: dict[str, int]
    ordinal_fillers: tuple[str, ...]
    anniversary_of: tuple[str, ...]
    document_types: tuple[DocumentType, ...]
    title_connectors: tuple[str, ...]
    title_openers: tuple[str, ...]
    title_year_openers: tuple[str, ...]
    title_determiners: tuple[str, ...]
    anaphora_determiners: tuple[str, ...]
    indefinite_articles: tuple[str, ...]
    title_stop_words: tuple[str, ...]
    title_date_links: tuple[str, ...]
    complement_links: tuple[str, ...]
    institution_heads: tuple[str, ...]
    ordinal_after_links: tuple[str, ...]
    person_possessives: tuple[str, ...]
    future_meeting_cues: tuple[str, ...]
    council_nouns: tuple[str, ...]
    future_meeting_after: tuple[str, ...]
    document_frame_cues: tuple[str, ...]
    document_pronouns: tuple[str, ...]
    status_verbs: dict[str, tuple[str, ...]]
    quote_pairs: dict[str, tuple[str, ...]]
    naming_cues: tuple[str, ...]
    quote_intro_verbs: tuple[str, ...]
    min_statement_words: int
    paraphrase_actors: tuple[Actor, ...]
    source_cues: tuple[str, ...]
    procedure_cues: tuple[str, ...]
    theme_neutral_names: tuple[str, ...]
    reporting_verbs: tuple[str, ...]
    document_verbs: tuple[str, ...]
    adverbs: tuple[str, ...]
    lead_in_cues: tuple[str, ...]
    definition_cues: tuple[str, ...]
    signatory_cues: dict[str, tuple[str, ...]]
    months: dict[str, int]
    ordinal_suffixes: tuple[str, ...]
    date_range_links: tuple[str, ...]
    day_articles: tuple[str, ...]
    day_links: tuple[str, ...]
    month_leads: tuple[str, ...]
    year_leads: tuple[str, ...]
    year_meeting_nouns: tuple[str, ...]
    actor_qualifiers: tuple[str, ...]
    place_prepositions: tuple[str, ...]
    place_descriptors: tuple[str, ...]
    anniversary_cues: tuple[str, ...]
    list_conjunctions: tuple[str, ...]
    name_connectors: tuple[str, ...]
    document_nouns: tuple[str, ...]
    definite_articles: tuple[str, ...]
    abbreviations: tuple[str, ...]
    meeting_labels: MeetingLabels
    passing_place_verbs: tuple[str, ...]
    passing_place_prepositions: tuple[str, ...]
    passing_date_links: tuple[str, ...]
    office_titles: tuple[str, ...]
    person_pronouns: tuple[str, ...]


class Vocabulary(_Strict):
    """The lexicon with the code lists its keys must belong to."""

    lexicon: Lexicon
    codes: Codes

    @model_validator(mode="after")
    def _codes_are_known(self) -> Vocabulary:
        lx, codes = self.lexicon, self.codes
        for what, used, allowed in (
            ("bodies", lx.bodies, codes.bodies),
            ("status_verbs", lx.status_verbs, codes.statuses),
            ("signatory_cues", lx.signatory_cues, codes.signatory_roles),
            ("document_types", [d.doc_type for d in lx.document_types], codes.doc_types),
            ("paraphrase_actors", [a.speaker_type for a in lx.paraphrase_actors if a.speaker_type != ANTECEDENT],
             codes.speaker_types),
        ):
            unknown = sorted(set(used) - set(allowed.values))
            if unknown:
                raise ValueError(f"lexicon.yaml `{what}` uses codes not in codes.yaml: {', '.join(unknown)}")
        return self


class Example(_Strict):
    """A text that, built on its own, gives these values (table.column: value or values) by its rule."""

    text: str
    published_date: str | None = None
    gives: dict[str, str | tuple[str, ...]]


class Rule(_Strict):
    """One rule that produces values: its id (evidence.rule_id), basis, the actions that apply it (and,
    where an action has several rules, the facts and context that choose this one), the columns it fills,
    what it does, and its examples."""

    rule_id: str
    basis: str
    actions: tuple[str, ...]
    when: tuple[tuple[str, ...], ...] = ()  # any of these lists of facts, each fact true ("not x": false)
    before: str | None = None  # a pattern the text before the anchor ends with (lexicon parts as {name})
    before_window: int | None = None  # how many characters before the anchor it may reach back
    after: str | None = None  # a pattern the text after the anchor starts with
    value: str | None = None  # the value the rule always gives, where it gives one
    yields_to: tuple[str, ...] = ()  # rules whose value for the same field replaces this rule's
    fills: tuple[str, ...]
    description: str
    examples: tuple[Example, ...]

    @model_validator(mode="after")
    def _window_with_before(self) -> Rule:
        if (self.before is None) != (self.before_window is None):
            raise ValueError("`before` and `before_window` go together")
        return self


class _RuleFile(_Strict):
    rules: tuple[Rule, ...]


class VocabularyError(ValueError):
    """A lexicon or code list that does not load; the message names the file and the key."""


def load_vocabulary(folder: Path) -> tuple[Lexicon, Codes]:
    """Read and check reference/lexicon.yaml and reference/codes.yaml."""
    raw = {}
    for name in ("lexicon", "codes"):
        with open(folder / f"{name}.yaml", encoding="utf-8") as f:
            raw[name] = yaml.safe_load(f)
    try:
        vocabulary = Vocabulary(**raw)
    except ValidationError as e:
        raise VocabularyError(f"{folder}/lexicon.yaml or codes.yaml does not load: {_problems(e)}") from None
    return vocabulary.lexicon, vocabulary.codes


def load_rules(paths: list[Path], codes: Codes) -> dict[str, Rule]:
    """Read and check the rule files, in the order given: every rule by its id."""
    rules: dict[str, Rule] = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            raw = yaml.safe_load(f)
        try:
            found = _RuleFile(**raw).rules
        except ValidationError as e:
            raise VocabularyError(f"{path} does not load: {_problems(e)}") from None
        except TypeError as e:  # not a mapping at all
            raise VocabularyError(f"{path} does not load: {e}") from None
        for rule in found:
            if rule.rule_id in rules:
                raise VocabularyError(f"{path}: rule {rule.rule_id} is declared twice")
            if rule.basis not in codes.bases.values:
                raise VocabularyError(f"{path}: rule {rule.rule_id} has basis {rule.basis}, not one of codes.yaml `bases`")
            rules[rule.rule_id] = rule
    for rule in rules.values():
        unknown = sorted(set(rule.yields_to) - set(rules))
        if unknown:
            raise VocabularyError(f"rule {rule.rule_id} yields to rules not in reference/rules/: {', '.join(unknown)}")
    return rules


def _problems(e: ValidationError) -> str:
    """pydantic's errors on one line: where (the keys' path) and what."""
    return "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
