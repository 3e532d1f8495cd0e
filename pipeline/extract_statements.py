"""Extract, statements: quotations and paraphrases with their speaker, the document or meeting they
belong to, and the theme terms they hold."""

from __future__ import annotations

import re

from pipeline.extract_quotes import Quote, masked
from pipeline.mentions import DocumentMention, StatementMention
from pipeline.provenance import Val, val_by


HEADLINE_NOT_ENDING = ".:;!?…"  # a first paragraph that ends so is a sentence, not a headline


class StatementReading:
    """The reader's statement actions (a part of `extract._Reader`, whose context they share)."""

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
            return val_by(mt.group("actor"), s + mt.start("actor"), s + mt.end("actor"), self._speaker_rule())
        return None

    def _speaker_rule(self, after_quote: bool = False, according_to: bool = False):
        return self.rules.choose("speaker", {"after_quote": after_quote, "according_to": according_to})

    def _attribution_after(self, q: Quote, e: int, masked: str, docs: list[DocumentMention]):
        """Who the words right after a quotation give it to ("..., <Name> said", "..., said the declaration",
        "..., the document reads"): the speaker, and the document where a document speaks."""
        tail = masked[q.close:e]
        mt = self.m.match("attribution_after", tail) or self.m.match("attribution_after_inverted", tail)
        if not mt:
            return None, None
        a, b = q.close + mt.start("actor"), q.close + mt.end("actor")
        doc = self._document_named_in(a, b, docs)
        if doc is not None:
            return val_by(doc.title.value, a, b, self.rules.one("document_speaker")), doc
        if self.m.search("ends_document", self.text[a:b]):  # "the document": the one in view, or none
            return None, None
        return val_by(self.text[a:b], a, b, self._speaker_rule(after_quote=True)), None

    def _document_named_in(self, a: int, b: int, docs: list[DocumentMention]) -> DocumentMention | None:
        """The document a speaker's words name ("the declaration"), as resolved to its antecedent;
        "the document" is the document in view."""
        named = next((d for d in docs if a <= d.title.start and d.title.end <= b), None)
        if named is not None:
            return self._resolve_antecedent(named)
        if self.m.search("ends_document", self.text[a:b]) and self.document is not None:
            return self.document
        return None

    def _defined_term(self, s: int, e: int, quotes: list[Quote]) -> tuple[str, int] | None:
        """A quoted term the sentence defines ("“terrorism” means:"): its words and where they start."""
        for q in quotes:
            if q.kind == "term" and self.m.match("definition", self.text[q.end:e]):
                return self.text[q.start:q.end], q.start
        return None

    def _quote_statement(self, q: Quote, lead: dict | None, pi: int) -> None:
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
                                                "meeting_in_view": st.meeting is not None,
                                                "one_meeting_in_source": lambda: self._only_meeting() is not None,
                                                **self._headline_facts(pi)})
        self._link(st, link)
        self._themes(st)
        if lead is not None and lead.get("defined"):
            term, at = lead["defined"]
            inherited = self.rules.one("defined_term_theme")
            for theme, rx in self.m.members("themes"):
                hit = rx.search(term)
                if hit and theme.theme_id not in st.themes:
                    st.themes[theme.theme_id] = [val_by(hit.group(0), at + hit.start(), at + hit.end(), inherited)]
        self._speaker_facts(st)
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
                speaker = val_by(d.title.value, d.title.start, d.title.end, self.rules.one("document_speaker"))
                break
        according_to = False
        if speaker is None and mt is None:  # "According to the President, the member states should ..."
            cue = self.m.match("according_to_actor", sent)
            if cue is not None and self._document_named_in(s + cue.start("actor"), s + cue.end("actor"), docs) is None:
                speaker = val_by(cue.group("actor"), s + cue.start("actor"), s + cue.end("actor"),
                                 self._speaker_rule(according_to=True))
        if speaker is None and mt:
            speaker = val_by(self.text[s + mt.start("actor"):s + mt.end("actor")], s + mt.start("actor"),
                             s + mt.end("actor"), self._speaker_rule())
            tail = self.m.search("attribution_tail", sent)  # "The member states condemned ..., the declaration said."
            if tail is not None and s + tail.start() > actor_at:
                doc = self._document_named_in(s + tail.start("actor"), s + tail.end("actor"), docs)
            cited = next((d for d in docs if d.title.start < actor_at), None)
            if cited is not None and (self.m.match("according_to", sent) or self._frames(cited, s, sent)):
                doc, according_to = self._resolve_antecedent(cited), True
            if mt.group("actor").lower() in self.document_pronouns:  # "It called for ...": the document last spoken of
                if self.document is None or self.document_para != self.last_para:
                    return
                doc = self.document
                speaker = val_by(doc.title.value, speaker.start, speaker.end, self.rules.one("pronoun_speaker"))
        if speaker is None or self._scan(sent).search("procedure"):
            return  # courtesy and procedure ("expressed their gratitude for the hospitality") say nothing
        rule = self.rules.one("paraphrase")
        st = StatementMention(self.src.source_id, s, e, rule.value, rule.rule_id, is_truncated=("…" in sent or "..." in sent),
                              speaker=speaker)
        st.document = doc.key if doc else None
        st.meeting = self.meeting.key if self.meeting else None
        link = self.rules.choose("paraphrase_link", {"according_to_document": according_to, "document_linked": doc is not None,
                                                     "meeting_in_view": st.meeting is not None,
                                                     "one_meeting_in_source": lambda: self._only_meeting() is not None,
                                                     **self._headline_facts(self.last_para)})
        self._link(st, link)
        self._themes(st)
        self._speaker_facts(st)
        self.statements.append(st)

    def _frames(self, d: DocumentMention, s: int, sent: str) -> bool:
        """The sentence opens with the document as its frame: "In the Declaration, the member states ..."."""
        frame = self.m.match("document_frame", sent)
        return bool(frame) and d.title.start == s + frame.end() and self.text[d.title.end:d.title.end + 1] == ","

    def _link(self, st: StatementMention, link) -> None:
        """The link rule a statement's context chose; one whose value is `meeting_of_source` ties it to the
        one meeting the source speaks of."""
        st.link_rule = link.rule_id if link else None
        if link is not None and link.value == "meeting_of_source":
            st.meeting = self._only_meeting().key
        elif link is not None and link.value == "meeting_of_headline":
            st.meeting = self._headline_meeting().key

    def _headline_facts(self, pi: int) -> dict:
        """Whether a meeting named in this paragraph is in view, and whether the source's headline names
        another meeting (the one the source is about)."""
        return {"meeting_in_paragraph": self.meeting is not None and self.meeting_para == pi,
                "headline_meeting": lambda: self._headline_meeting() not in (None, self.meeting)}

    def _headline_meeting(self):
        """The meeting a source's headline (a first paragraph with no final stop: "2030 <City> SCO
        summit") names with a place, a year or a date of its own, or, where it names only a council, the
        first meeting of that council the source places or dates."""
        if not self.src.paragraphs:
            return None
        a, b = self.src.paragraphs[0]
        if self.text[a:b].rstrip()[-1:] in HEADLINE_NOT_ENDING:
            return None
        headline = next((m for m in self.meetings if m.sentence[0] < b and not m.implied), None)
        if headline is None or headline.city or headline.year or headline.date:
            return headline
        # "Meeting of the SCO Heads of State Council": the first meeting of that council the source places or dates
        return next((m for m in self.meetings if not m.implied and m.body is not None and headline.body is not None
                     and m.body.value == headline.body.value and (m.city or m.year or m.date)), None)

    def _without_theme_neutral_names(self, text: str) -> str:
        """A statement's text with the names whose words would signal a theme by themselves masked."""
        return masked(text, [mt.span() for mt in self.m.scan(text).finditer("theme_neutral_name")])

    def _themes(self, st: StatementMention) -> None:
        text = self._without_theme_neutral_names(self.text[st.start:st.end])
        term = self.rules.one("theme_term")
        for theme, found in self.m.scan(text).each("themes"):
            hits = [val_by(text[m.start():m.end()], st.start + m.start(), st.start + m.end(), term) for m in found]
            if hits:
                st.themes[theme.theme_id] = hits
