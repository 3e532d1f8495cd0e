"""Extract: find mentions of meetings, documents, statements, signatories and theme terms in one source.

Reads the text in order and keeps a small discourse context (the meeting and document last
spoken of), so that a quotation after "the Council made the following statement:" is tied to
that meeting. Every value carries the span it was read from, its basis and the rule that
produced it. The words it looks for come from reference/lexicon.yaml and reference/themes.yaml;
this module holds only the grammar.
"""

from __future__ import annotations

import bisect
import re

from pipeline.errors import Issue
from pipeline.extract_documents import DocumentReading
from pipeline.extract_meetings import MeetingReading
from pipeline.extract_quotes import Quote, QuoteReading
from pipeline.extract_quotes import masked as spans_masked
from pipeline.extract_signatories import SignatoryReading
from pipeline.extract_speakers import SpeakerReading, speaker_vocabulary
from pipeline.extract_statements import StatementReading
from pipeline.ingest import SourceText
from pipeline.matcher import Scan, matcher_for
from pipeline.mentions import DocumentMention, Extraction, MeetingMention, StatementMention
from pipeline.provenance import Signatory
from pipeline.reference import Reference, fold_name
from pipeline.rulebook import rulebook_for

ENDS_COLON = re.compile(r":\s*$")


def extract(source: SourceText, ref: Reference) -> Extraction:
    """Find every mention in one source; a pure function of the text and the reference data."""
    return _Reader(source, ref).read()


class _Reader(QuoteReading, MeetingReading, DocumentReading, SignatoryReading, StatementReading, SpeakerReading):
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
        self.conjunctions = set(lx.list_conjunctions)
        self.actor_kinds, self.name_leads = speaker_vocabulary(ref)
        self.document_speaker_rules = {self.rules.one(a).rule_id for a in ("document_speaker", "pronoun_speaker")}
        self.last_speaker: StatementMention | None = None
        self.last_person: StatementMention | None = None
        self.last_person_of: dict[str, StatementMention] = {}  # by country code
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
        quotes_by_para: dict[int, list[Quote]] = {}
        for q in quotes:
            quotes_by_para.setdefault(q.paragraph, []).append(q)
        for pi, (pstart, pend) in enumerate(self.src.paragraphs):
            self.pending_founders = []
            para_quotes = quotes_by_para.get(pi, [])
            opens = [q.open for q in para_quotes]
            for sstart, send in self.m.sentences(masked, pstart, pend):
                self.sentences.append((sstart, send))
                in_sentence = para_quotes[bisect.bisect_left(opens, sstart):bisect.bisect_left(opens, send)]
                try:
                    self._read_sentence(pi, sstart, send, masked, in_sentence)
                except Exception as e:  # one sentence the reader trips on never costs the others
                    self.warnings.append(Issue(self.src.where(sstart), "sentence_not_read",
                                               f"sentence left out of the tables: the reader failed on it ({type(e).__name__}: {e})",
                                               value=_snippet(self.text[sstart:send])))
        return Extraction(self.src, self.meetings, self.documents, self.statements, self.sentences, self.warnings)

    # -- one sentence
    def _read_sentence(self, pi: int, s: int, e: int, masked: str, quotes: list[Quote]) -> None:
        self.last_para = pi
        sent = masked[s:e]
        self.sentence, self.scan = sent, self.m.scan(sent)
        passing = [mt.span() for mt in self.scan.finditer("passing_place")]
        new_meeting = self._meeting_mention(pi, s, e, spans_masked(sent, passing) if passing else sent)
        docs = self._document_mentions(pi, s, e, sent, quotes, new_meeting)
        self._signatories(pi, s, e, sent, docs)
        statement_quotes = [q for q in quotes if q.kind == "statement"]
        lead_in = bool(ENDS_COLON.search(sent.rstrip("x”»\"“«' ")) or self.scan.search("lead_in"))
        info = {"start": s, "end": e, "para": pi, "docs": docs, "lead_in": lead_in,
                "speaker": self._speaker(s, sent, docs), "defined": self._defined_term(s, e, quotes)}
        for q in statement_quotes:
            speaker, named = self._speaker(s, masked[s:q.open], docs), None
            if speaker is None:
                speaker, named = self._attribution_after(q, e, masked, docs)
            if q.block and q.open == s and speaker is None:
                self._quote_statement(q, self.last_sentence, pi)
            else:
                before = {**info, "end": q.open, "docs": [d for d in docs if d.title.start < q.open] + ([named] if named else []),
                          "speaker": speaker, "lead_in": True}
                self._quote_statement(q, before, pi)
        if not statement_quotes and not lead_in:
            self._paraphrase(s, e, sent, docs)
        if not (statement_quotes and statement_quotes[0].block and statement_quotes[0].open == s):
            self.last_sentence = info


def _snippet(text: str, most: int = 160) -> str:
    """A text on one line, cut to `most` characters, for a warning."""
    text = " ".join(text.split())
    return text if len(text) <= most else text[:most - 1] + "…"
