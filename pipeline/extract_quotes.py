"""Extract, quotations: where each opens and closes (across paragraphs when the next one opens with
the same mark), whether it is a statement, a title or a term, and the text with their insides masked."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

SENTENCE_STOPS = ".!?…"  # (as ingest.SENTENCE_END reads them)
NOT_SPACE = re.compile(r"\S")  # what str.isspace() is not (both are Py_UNICODE_ISSPACE)
WORDS = re.compile(r"\w+")
LETTER_WORDS = re.compile(r"[A-Za-z][\w'’\-]*")


@dataclass
class Quote:
    open: int          # offset of the opening mark
    start: int         # first character inside the marks
    end: int           # one past the last character inside
    close: int         # one past the closing mark (== end when unclosed)
    closed: bool
    block: bool        # opens its paragraph
    kind: str = "term"  # statement, title or term
    paragraph: int = 0


class QuoteReading:
    """The reader's quotation actions (a part of `extract._Reader`, whose context they share)."""

    def _find_quotes(self) -> list[Quote]:
        pairs = self.quote_pairs
        paras = self.src.paragraphs
        starts = [a for a, _ in paras]
        quotes: list[Quote] = []
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

    def _close_quote(self, i: int, pi: int, closers: list[str]) -> Quote:
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
                        return Quote(i, i + 1, k, k + 1, True, block, paragraph=pi)
                k += 1
            # unclosed in this paragraph: a quotation continues only when the next paragraph opens with the same mark
            if para + 1 < len(paras) and text[paras[para + 1][0]] == opener:
                para += 1
                j = paras[para][0] + 1
                continue
            end = pend
            while end > i + 1 and text[end - 1].isspace():
                end -= 1
            return Quote(i, i + 1, end, end, False, block, paragraph=pi)

    def _classify(self, q: Quote) -> None:
        inner = self.text[q.start:q.end]
        words = len(WORDS.findall(inner))
        window = self.text[max(self.src.paragraphs[q.paragraph][0], q.open - 60):q.open]
        before = window[window.rfind("\n") + 1:]
        title_like = self._starts_with_doc_keyword(inner)
        if self.m.search("naming_cue", before):
            q.kind = "title" if title_like or self.m.search("ends_document", before) else "term"
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

    def _mask(self, quotes: list[Quote]) -> str:
        """The text with every non-space character inside quotation marks as "x" (quotes are in order and
        do not overlap): offsets stay, and no pattern finds words inside a quotation. A closed quotation's
        final stop stays, so that the sentence it ends still ends there (“... significance.” President ...)."""
        text, pieces, at = self.text, [], 0
        for q in quotes:
            a = max(at, q.start)
            b = q.end - 1 if q.closed and q.end > a and text[q.end - 1] in SENTENCE_STOPS else q.end
            pieces += (text[at:a], NOT_SPACE.sub("x", text[a:b]), text[b:q.end])
            at = max(a, q.end)
        pieces.append(text[at:])
        return "".join(pieces)


def masked(text: str, spans) -> str:
    """The text with the characters of each span as "x" (offsets kept)."""
    for a, b in spans:
        text = text[:a] + "x" * (b - a) + text[b:]
    return text


def _mostly_capitalised(inner: str) -> bool:
    words = LETTER_WORDS.findall(inner)
    if not words:
        return True
    caps = sum(1 for w in words if w[0].isupper())
    return caps / len(words) >= 0.6
