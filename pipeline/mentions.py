"""What extraction produces: the mentions of meetings, documents and statements one source holds."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.errors import Issue
from pipeline.ingest import SourceText
from pipeline.provenance import Signatory, Val, sent_as_fields


@sent_as_fields
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


@sent_as_fields
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


@sent_as_fields
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
    speaker_type: Val | None = None
    speaker_name: Val | None = None
    speaker_country: Val | None = None
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
