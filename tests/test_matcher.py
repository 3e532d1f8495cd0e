"""The matching engine's shortcuts (gates, lower-cased twins, one match for many patterns) find what
the patterns as written find, in every sentence of the seed, the fixtures and the development texts,
as written, upper-cased and title-cased."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.ingest import source_from_text
from pipeline.matcher import matcher_for
from pipeline.reference import load_reference

ROOT = Path(__file__).resolve().parent.parent
MATCHER = matcher_for(load_reference())
TEXTS = [ROOT / "raw" / "000_04de7d46aee2b092.txt", *sorted((ROOT / "tests" / "fixtures").glob("*/*.txt")),
         *sorted((ROOT.parent / "shared" / "corpus").glob("*/*.txt"))]  # the shared corpus where it is beside us


def _sentences() -> list[str]:
    out = []
    for path in TEXTS:
        if not path.is_file():
            continue
        source = source_from_text(path.read_text(encoding="utf-8"))
        for a, b in source.paragraphs:
            for s, e in MATCHER.sentences(source.text, a, b):
                sent = source.text[s:e]
                out += [sent, sent.upper(), sent.title()]
    return out


SENTENCES = _sentences()


def test_there_are_enough_sentences():
    assert len(SENTENCES) > 300


def _spans(matches) -> list[tuple[int, int]]:
    return [m.span() for m in matches]


@pytest.mark.parametrize("name", sorted(MATCHER.singles))
def test_a_pattern_finds_in_a_scan_what_it_finds_as_written(name):
    for sent in SENTENCES:
        scan, plain = MATCHER.scan(sent), MATCHER.plain(sent)
        assert _spans(scan.finditer(name)) == _spans(MATCHER.finditer(name, sent)), (name, sent)
        want = MATCHER.search(name, sent)
        got = scan.search(name)
        assert (want and want.span()) == (got and got.span()) == ((p := plain.search(name)) and p.span()), (name, sent)


@pytest.mark.parametrize("family", sorted(MATCHER.families))
def test_a_family_finds_in_a_scan_what_its_members_find_as_written(family):
    for sent in SENTENCES:
        want = [(label, _spans(p.finditer(sent))) for label, p in MATCHER.members(family)]
        got = [(label, _spans(found)) for label, found in MATCHER.scan(sent).each(family)]
        assert [x for x in got if x[1]] == [x for x in want if x[1]], (family, sent)
        assert MATCHER.scan(sent).any(family) == any(spans for _, spans in want), (family, sent)


def test_the_first_longest_council_name_is_the_one_every_search_finds():
    for sent in SENTENCES:
        best = None
        for label, pattern in MATCHER.members("bodies"):
            mt = pattern.search(sent)
            if mt and (best is None or (mt.start(), mt.start() - mt.end()) < best[0]):
                best = ((mt.start(), mt.start() - mt.end()), label, mt.start(), mt.end())
        assert MATCHER.scan(sent).first_longest("bodies") == (None if best is None else best[1:]), sent


def test_dates_found_behind_their_gates_are_those_of_every_pattern():
    for sent in SENTENCES:
        taken = []
        for pattern, _, _ in MATCHER.date_patterns:
            for mt in pattern.finditer(sent):
                if not any(mt.start() < b and a < mt.end() for a, b in taken):
                    taken.append(mt.span())
        assert _spans(MATCHER.dates(sent)) == taken, sent
