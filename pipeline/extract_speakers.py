"""Extract, speakers: what kind of speaker a statement has (a council, the member states, a document, a
person, the organisation), a person's name in one normal form, and the state a speaking leader
represents; "they", "he" and "the President" stand for the speaker named before them."""

from __future__ import annotations

import functools
import re

from pipeline.lexicon import ANTECEDENT
from pipeline.mentions import StatementMention
from pipeline.provenance import Val, val_by
from pipeline.reference import fold_name

NAME_WORD = re.compile(r"[A-Z][\w’'\-]*\.?")
WORD_BEFORE = re.compile(r"([A-Z][a-z]+)\s+$")
PERSON = "person"
DOCUMENT = "document"


@functools.lru_cache(maxsize=8)
def speaker_vocabulary(ref) -> tuple[list, list[str]]:
    """Once per reference: each actor entry with its pattern for a whole actor, in the lexicon's order (the
    specific before the general: "the member states" before a capitalised name); and the words that may stand
    before a person's name, longest first."""
    lx = ref.lexicon
    kinds = [(a, re.compile(a.pattern, re.I)) for a in lx.paraphrase_actors]
    leads = sorted({*lx.definite_articles, *lx.office_titles, *lx.person_pronouns, *ref.demonyms, *ref.states},
                   key=len, reverse=True)
    return kinds, leads


class SpeakerReading:
    """The reader's speaker actions (a part of `extract._Reader`, whose context they share: the speaker
    and the person last named, `last_speaker` and `last_person`)."""

    def _speaker_facts(self, st: StatementMention) -> None:
        """Fill a statement's speaker type, name and country from its speaker's words and the source."""
        sp = st.speaker
        if sp is None:
            return
        if sp.rule in self.document_speaker_rules:
            st.speaker_type = val_by(DOCUMENT, sp.start, sp.end, self.rules.one("document_speaker_type"))
            self.last_speaker = st
            return
        words = self.text[sp.start:sp.end]
        kind = self._actor_kind(words)
        if kind == ANTECEDENT:  # "They ...": the speaker before, as it was
            self._as_antecedent(st, self.last_speaker, ("speaker_type", "speaker_name", "speaker_country"))
        elif kind is not None:
            st.speaker_type = val_by(kind, sp.start, sp.end, self.rules.one("actor_speaker_type"))
            if kind == PERSON:
                self._person(st, words)
        if st.speaker_type is not None:
            self.last_speaker = st

    def _actor_kind(self, words: str) -> str | None:
        """The speaker type of the first actor entry that matches the words whole."""
        for actor, pattern in self.actor_kinds:
            if pattern.fullmatch(words):
                return actor.speaker_type
        return PERSON if fold_name(words) in self.ref.people else None

    def _as_antecedent(self, st: StatementMention, before: StatementMention | None, fields: tuple[str, ...]) -> None:
        """Take these fields from the statement before, resting on this statement's speaker words."""
        if before is None:
            return
        sp, rule = st.speaker, self.rules.one("antecedent_speaker")
        for name in fields:
            value = getattr(before, name)
            if value is not None:
                setattr(st, name, val_by(value.value, sp.start, sp.end, rule))

    def _person(self, st: StatementMention, words: str) -> None:
        """A person's name (as written without titles, or in full from earlier in the source or the offices
        reference) and country (a demonym in or before the words, or the offices reference)."""
        sp = st.speaker
        office = self.m.search("office_of_state", words)  # "President of Kazakhstan Kassym-Jomart Tokayev"
        if office is not None:  # the state its office names, before a demonym within it ("Russian Federation")
            name = office.group("name")
            demonym = (self.ref.states[fold_name(" ".join(office.group("state").split()))],
                       sp.start + office.start("state"), sp.start + office.end("state"))
            country_rule = self.rules.one("office_state_country")
        else:
            name, demonym, country_rule = self._bare_name(words), self._demonym(sp), self.rules.one("demonym_country")
        if name is None:  # "He", "The Russian President": the person named before (of that state, if it says)
            before = self.last_person_of.get(demonym[0]) if demonym else self.last_person
            self._as_antecedent(st, before, ("speaker_name",) if demonym else ("speaker_name", "speaker_country"))
        else:
            full, rule = self._full_name(name, sp.start)
            st.speaker_name = val_by(full, sp.start, sp.end, rule)
        if demonym is not None:
            code, a, b = demonym
            st.speaker_country = val_by(code, a, b, country_rule)
        elif st.speaker_country is None and st.speaker_name is not None:
            held = self.ref.people.get(fold_name(st.speaker_name.value))
            if held is not None:
                st.speaker_country = val_by(held[1], sp.start, sp.end, self.rules.one("office_country"))
        if st.speaker_name is not None:
            self.last_person = st
            if st.speaker_country is not None:
                self.last_person_of[st.speaker_country.value] = st

    def _bare_name(self, words: str) -> str | None:
        """The capitalised name in a speaker's words, without articles, titles and demonyms; None if none is left."""
        rest = " ".join(words.split())
        changed = True
        while changed:
            changed = False
            for lead in self.name_leads:
                if rest.lower().startswith(lead + " ") or rest.lower() == lead:
                    rest, changed = rest[len(lead):].lstrip(), True
        names = NAME_WORD.findall(rest)
        return " ".join(names) if names and " ".join(names) == rest else None

    def _full_name(self, name: str, before: int) -> tuple[str, object]:
        """A name as the source first gave it in full (a surname or a given name alone),
        or as the offices reference gives it, or as written; and the rule that says which."""
        if " " not in name:
            word = re.escape(name)
            for mt in re.finditer(rf"\b((?:[A-Z][\w’'\-]+ ){{1,2}}{word}|{word}(?: [A-Z][\w’'\-]+){{1,2}})\b",  # one line's words
                                  self.text[:before]):
                full = self._bare_name(mt.group(1))
                if full is not None and " " in full and full != name:
                    return full, self.rules.one("earlier_full_name")
            held = self.ref.people.get(fold_name(name))
            if held is not None:
                return held[0], self.rules.one("office_full_name")
        return name, self.rules.one("written_name")

    def _demonym(self, sp: Val) -> tuple[str, int, int] | None:
        """A demonym among the speaker's words or the word right before them ("Russian President ..."): its
        state's code and span."""
        for mt in re.finditer(r"[A-Z][a-z]+", self.text[sp.start:sp.end]):
            code = self.ref.demonyms.get(mt.group(0).lower())
            if code is not None:
                return code, sp.start + mt.start(), sp.start + mt.end()
        before = WORD_BEFORE.search(self.text, max(0, sp.start - 24), sp.start)
        if before is not None and self.ref.demonyms.get(before.group(1).lower()) is not None:
            return self.ref.demonyms[before.group(1).lower()], before.start(1), before.end(1)
        return None
