"""Invariants over arbitrary text (hypothesis): no crash, valid tables, IDs stable under additions."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.extract import extract
from pipeline.ingest import source_from_text
from pipeline.reference import load_reference
from pipeline.resolve import resolve
from pipeline.schemas import conform, load_tables
from pipeline.validate import validate

REF = load_reference()
SEED_SENTENCES = [
    "The 10th meeting of the Council of Heads of State was held in Tashkent on June 10-11.",
    "The Yekaterinburg Declaration of June 16, 2009 included a following statement:",
    "«The SCO will stand firm to fight against terrorism».",
    "The heads of government reaffirmed that cooperation is growing.",
    "A document, “Statement on trade,” was signed by Russia and China.",
    "For the purpose of this Convention “terrorism” means:",
    "“…unclosed quote about information security",
    "In Tianjin on 1 September 2025 the heads of state adopted the Tianjin Declaration.",
    "The Council met in Dushanbe in August. A joint communiqué included as follows.",
    "February 30, 2010 was the date of the 7th summit in Minsk.",
]
texts = st.lists(st.one_of(st.sampled_from(SEED_SENTENCES), st.text(min_size=1, max_size=80)),
                 min_size=1, max_size=8).map(lambda parts: "\n\n".join(parts))


def build_tables(text: str, source_id: str = "s"):
    source = source_from_text(text, source_id)
    resolved = resolve([extract(source, REF)], REF)
    frames = {name: conform(resolved.tables[name], table) for name, table in load_tables().items()}
    return frames, {source_id: text}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_any_text_gives_valid_tables(text):
    frames, sources = build_tables(text)
    assert validate(frames, sources, set(REF.rules)) == []


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.sampled_from(["An unrelated paragraph about the weather.", "Trade grew by ten percent."]))
def test_adding_an_unrelated_paragraph_never_renames_existing_records(text, extra):
    before, _ = build_tables(text)
    after, _ = build_tables(extra + "\n\n" + text + "\n\n" + extra)
    for table, key in (("statements", "statement_id"), ("meetings", "meeting_id"), ("documents", "document_id")):
        assert set(before[table][key]) <= set(after[table][key]), table


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_statement_ids_do_not_depend_on_position(text):
    before, _ = build_tables(text)
    after, _ = build_tables("The Council of Heads of State met in Astana in 2005.\n\n" + text)
    assert set(before["statements"]["statement_id"]) <= set(after["statements"]["statement_id"])
