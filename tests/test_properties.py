"""Invariants over arbitrary text (hypothesis): no crash, valid tables, IDs stable under additions."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.extract import extract
from pipeline.ingest import source_from_text
from pipeline.reference import load_reference
from pipeline.resolve import resolve
from pipeline.schemas import conform, load_tables, to_frame
from pipeline.source_rows import source_rows
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
    resolved = resolve([(source, source_rows(extract(source, REF), REF))], None, REF)
    tables = {name: conform(resolved.pop(name), table) for name, table in load_tables().items()}
    return tables, {source_id: text}


def build_frames(text: str, source_id: str = "s"):
    tables, texts = build_tables(text, source_id)
    return {name: to_frame(t, spec) for (name, t), spec in zip(tables.items(), load_tables().values())}, texts


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_any_text_gives_valid_tables(text):
    frames, sources = build_frames(text)
    assert validate(frames, sources, set(REF.rules)) == []


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.sampled_from(["An unrelated paragraph about the weather.", "Trade grew by ten percent."]))
def test_adding_an_unrelated_paragraph_never_renames_existing_records(text, extra):
    before, _ = build_frames(text)
    after, _ = build_frames(extra + "\n\n" + text + "\n\n" + extra)
    for table, key in (("statements", "statement_id"), ("meetings", "meeting_id"), ("documents", "document_id")):
        assert set(before[table][key]) <= set(after[table][key]), table


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_statement_ids_do_not_depend_on_position(text):
    before, _ = build_frames(text)
    after, _ = build_frames("The Council of Heads of State met in Astana in 2005.\n\n" + text)
    assert set(before["statements"]["statement_id"]) <= set(after["statements"]["statement_id"])


def _canon(value):
    import datetime as dt
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is getattr(__import__("pandas"), "NA"):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def assert_round_trip(out):
    """Every table reads back to equal values and declared types from CSV, Parquet and DuckDB."""
    import duckdb
    import pyarrow.parquet as pq

    from pipeline.paths import DUCKDB_NAME
    from pipeline.schemas import to_arrow
    from pipeline.validate import read_csv_table

    con = duckdb.connect(str(out / DUCKDB_NAME), read_only=True)
    try:
        for name, table in load_tables().items():
            frame = read_csv_table(out / "csv" / f"{name}.csv", table)
            from_csv = [tuple(_canon(v) for v in row) for row in frame.astype(object).itertuples(index=False)]
            arrow = pq.read_table(out / "parquet" / f"{name}.parquet")
            assert arrow.schema.equals(to_arrow(table), check_metadata=False), name
            from_parquet = [tuple(_canon(r[c]) for c in table.columns) for r in arrow.to_pylist()]
            order = ", ".join(table.primary_key)
            from_duckdb = [tuple(_canon(v) for v in row)
                           for row in con.sql(f"SELECT * FROM {name} ORDER BY {order}").fetchall()]
            assert from_csv == from_parquet, name
            assert sorted(from_csv, key=repr) == sorted(from_duckdb, key=repr), name
            duck_types = dict(con.sql(f"SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = '{name}'").fetchall())
            for f in table.fields:
                assert duck_types[f.name] == {"string": "VARCHAR", "integer": "BIGINT", "boolean": "BOOLEAN",
                                              "date": "DATE"}[f.type], (name, f.name)
    finally:
        con.close()


def test_seed_tables_round_trip(seed_build):
    assert_round_trip(seed_build)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(texts)
def test_any_text_round_trips_csv_parquet_duckdb(tmp_path_factory, text):
    from pipeline.publish import Staging, publish
    from pipeline.validate import FrictionlessGate

    tables, sources = build_tables(text)
    out = tmp_path_factory.mktemp("rt") / "out"
    staging = Staging(out, sources, thread=False)
    staging.write_package(tables, {"warnings": []})
    publish(staging, tables, {"warnings": []}, FrictionlessGate(staging.folder, workers=1))
    assert_round_trip(out)


@given(st.lists(st.sampled_from(["a", "b.", " ", "\t", "\n", "\n\n", " \n \n", "\u00a0", "\u2003", "\r"]),
                max_size=30).map("".join))
def test_paragraphs_are_the_trimmed_non_blank_runs_between_blank_lines(text):
    from pipeline.ingest import PARAGRAPH_BREAK, _paragraphs

    cuts = [0] + [x for m in PARAGRAPH_BREAK.finditer(text) for x in m.span()] + [len(text)]
    expected = []
    for a, b in zip(cuts[::2], cuts[1::2]):
        chunk = text[a:b]
        if chunk.strip():
            start = a + len(chunk) - len(chunk.lstrip())
            expected.append((start, a + len(chunk.rstrip())))
    assert list(_paragraphs(text)) == expected


@st.composite
def sentences_and_spans(draw):
    """Sorted, disjoint sentences and arbitrary spans (empty ones included) over the same offsets."""
    cuts = sorted(draw(st.sets(st.integers(0, 200), min_size=2, max_size=24)))
    pairs = list(zip(cuts[::2], cuts[1::2]))
    spans = draw(st.lists(st.tuples(st.integers(0, 210), st.integers(0, 30), st.sampled_from("abc")), max_size=12))
    return pairs, [(a, a + n, who) for a, n, who in spans]


@given(sentences_and_spans())
@settings(max_examples=300, deadline=None)
def test_sentence_users_are_the_spans_that_overlap_each_sentence(case):
    """The sweep gives each sentence the users of the spans overlapping it (an empty span: the sentence
    it sits in), as checking every span against every sentence would."""
    from pipeline.provenance import sentence_users

    sentences, spans = case
    expected = [{who for a, b, who in spans if s < max(b, a + 1) and e > a} for s, e in sentences]
    found = sentence_users([s for s, _ in sentences], [e for _, e in sentences], spans)
    assert [found.get(i, set()) for i in range(len(sentences))] == expected
    assert all(found.values())  # a sentence no span touches is left out


_PIECES = ["a", "b", "ab", "a b", "(?:a )?", "(?:b|ab)", "b?", r"\b", r"\s+", "[ab]", "(a)", "(?P<n{}>b)", "(?=a)", "(?i:a)", "x*"]


@st.composite
def _alternations(draw):
    """Pattern text: alternations (at the top and in groups) of short alternatives from a few letters,
    so that many share their first letters."""
    def alternation(depth):
        alternatives = []
        for _ in range(draw(st.integers(1, 5))):
            pieces = [draw(st.sampled_from(["a", "b", "ab", "a b", "ba", ""]))]  # mostly opening with a letter
            pieces += draw(st.lists(st.sampled_from(_PIECES), min_size=0, max_size=4))
            if depth < 2 and draw(st.booleans()):
                pieces.append(f"(?:{alternation(depth + 1)})" + draw(st.sampled_from(["", "?", "+"])))
            alternatives.append("".join(pieces))
        return "|".join(alternatives)

    text = alternation(0)
    if draw(st.booleans()):  # a word's alternatives: \b(?:...) and what follows them
        text = rf"\b(?:{text})" + draw(st.sampled_from(["", r"\b", "b?", "x", "?"]))
    for i in range(text.count("{}")):  # named groups need names of their own
        text = text.replace("{}", str(i), 1)
    return text


@settings(max_examples=400, deadline=None)
@given(_alternations(), st.text(alphabet="ab xA_1", max_size=30))
def test_factored_patterns_find_what_the_written_ones_find(pattern, text):
    """Alternatives sharing their first letter, factored (matcher._factored), give the same matches and
    groups in any text."""
    import re

    from pipeline.matcher import _factored

    written, factored = re.compile(pattern), re.compile(_factored(pattern))
    assert factored.groupindex == written.groupindex
    assert ([(m.span(), m.groups()) for m in factored.finditer(text)]
            == [(m.span(), m.groups()) for m in written.finditer(text)]), _factored(pattern)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='ab A1.!?…"”) \n', max_size=60), st.integers(0, 60), st.integers(0, 60))
def test_sentence_ends_are_where_the_look_behind_finds_them(text, start, end):
    """Matcher.sentences reads the punctuation as part of each sentence end; the ends are those of the
    definition with a look-behind, from any start, the character before it included."""
    import re

    from pipeline.ingest import trim
    from pipeline.matcher import matcher_for

    matcher = matcher_for(REF)

    start, end = min(start, end, len(text)), min(max(start, end), len(text))
    spans, cursor = [], start
    for m in re.compile(r"(?<=[.!?…])[\"»”’')\]]*\s+(?=[A-Z0-9«“\"„‘'(])").finditer(text, start, end):
        if matcher.abbreviation.search(text, max(start, m.start() - 6), m.start()):
            continue
        spans.append((cursor, m.start()))
        cursor = m.end()
    spans.append((cursor, end))
    assert matcher.sentences(text, start, end) == [trim(text, s, e) for s, e in spans if text[s:e].strip()]
