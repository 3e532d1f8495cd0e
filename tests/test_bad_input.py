"""Bad input: each case is either repaired (parses like clean text) or rejected with one clear
line naming the file and line, a non-zero exit and no traceback (unless --debug)."""

from __future__ import annotations

import csv
import io
import hashlib
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

CLEAN = ("The 10th meeting of the Council of Heads of State was held in Tashkent on June 10-11, 2010.\n\n"
         "The heads of state stressed that terrorism remains the main threat.\n")


def write_raw(tmp_path: Path, files: dict[str, bytes], manifest: str | None = None) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir(parents=True)
    for name, data in files.items():
        (raw / name).write_bytes(data)
    if manifest is not None:
        (raw / "manifest.csv").write_text(manifest, encoding="utf-8")
    return raw


def build(raw: Path, out: Path, *extra: str):
    return run_cli("build", "--raw", str(raw), "--out", str(out), *extra)


# (case, files, manifest, rule in the message, file:line the message names)
REJECTED = [
    pytest.param({"a.txt": "Caf\xe9 au lait.\nThe meeting in Astana.".encode("latin-1")}, None, "not_utf8", "a.txt:1",
                 id="latin-1"),
    pytest.param({"a.txt": "first line\nCaf\xe9".encode("latin-1")}, None, "not_utf8", "a.txt:2", id="latin-1-line-2"),
    pytest.param({"a.txt": "\ufeffThe meeting.".encode("utf-16")}, None, "not_utf8", "a.txt:1", id="utf-16-bom"),
    pytest.param({"a.txt": bytes(range(256)) * 4}, None, "binary", "a.txt:1", id="binary"),
    pytest.param({"a.txt": b""}, None, "empty", "a.txt:1", id="empty"),
    pytest.param({"a.txt": b"   \n\n  "}, None, "empty", "a.txt:1", id="whitespace-only"),
    pytest.param({"a.txt": CLEAN.encode()}, "source_id,path\na,missing.txt\n", "source_missing", "manifest.csv:2",
                 id="manifest-names-missing-file"),
    pytest.param({"a.txt": CLEAN.encode()}, "source_id,path\na,../outside.txt\n", "path_outside_raw", "manifest.csv:2",
                 id="manifest-path-outside-raw"),
    pytest.param({"a.txt": CLEAN.encode()}, "source_id,path,sha256\na,a.txt," + "0" * 64 + "\n", "checksum_mismatch",
                 "a.txt", id="tampered-source"),
    pytest.param({"a.txt": CLEAN.encode()}, "source_id,path\na b,a.txt\n", "manifest_source_id", "manifest.csv:2",
                 id="bad-source-id"),
    pytest.param({"a.txt": CLEAN.encode()}, "source_id,path,published_date\na,a.txt,2010-02-30\n", "manifest_date",
                 "manifest.csv:2", id="impossible-publication-date"),
]


@pytest.mark.parametrize("files, manifest, rule, where", REJECTED)
def test_rejected_with_one_clear_line(tmp_path, files, manifest, rule, where):
    raw = write_raw(tmp_path, files, manifest)
    result = build(raw, tmp_path / "out")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("  ")]
    assert len(lines) == 1, result.stderr
    assert f"[{rule}]" in lines[0] and where in lines[0], lines[0]
    assert not (tmp_path / "out").exists()


def test_debug_shows_a_traceback(tmp_path):
    raw = write_raw(tmp_path, {"a.txt": b""})
    result = build(raw, tmp_path / "out", "--debug")
    assert result.returncode != 0 and "Traceback" in result.stderr


def csv_tables(out: Path) -> dict[str, list[dict]]:
    tables = {}
    for path in sorted((out / "csv").glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as f:
            tables[path.stem] = list(csv.DictReader(f))
    return tables


def test_bom_and_crlf_parse_exactly_like_clean_text(tmp_path):
    clean = write_raw(tmp_path / "c", {"a.txt": CLEAN.encode()})
    dirty = write_raw(tmp_path / "d", {"a.txt": b"\xef\xbb\xbf" + CLEAN.replace("\n", "\r\n").encode()})
    assert build(clean, tmp_path / "c" / "out").returncode == 0
    assert build(dirty, tmp_path / "d" / "out").returncode == 0
    a, b = csv_tables(tmp_path / "c" / "out"), csv_tables(tmp_path / "d" / "out")
    for table in a:
        if table != "sources":
            assert a[table] == b[table], table
    assert a["sources"][0]["n_chars"] == b["sources"][0]["n_chars"]


def test_impossible_date_never_reaches_the_tables(tmp_path):
    raw = write_raw(tmp_path, {"a.txt": b"The Council of Heads of State met in Minsk on February 30, 2010."})
    result = build(raw, tmp_path / "out")
    assert result.returncode == 0
    assert "impossible_date" in result.stderr and "a.txt:1" in result.stderr
    meetings = csv_tables(tmp_path / "out")["meetings"]
    assert all(m["start_date"] == "" for m in meetings)


def test_unknown_city_is_kept_with_a_warning(tmp_path):
    raw = write_raw(tmp_path, {"a.txt": b"The Council of Heads of State met in Karakol on 5 May 2030."})
    result = build(raw, tmp_path / "out")
    assert result.returncode == 0 and "unknown_city" in result.stderr
    [meeting] = csv_tables(tmp_path / "out")["meetings"]
    assert meeting["city"] == "Karakol" and meeting["country_code"] == ""


def test_unclosed_quote_at_end_of_file(tmp_path):
    raw = write_raw(tmp_path, {"a.txt": "The heads of state declared:\n\n“The member states will fight terrorism".encode()})
    assert build(raw, tmp_path / "out").returncode == 0
    [statement] = csv_tables(tmp_path / "out")["statements"]
    assert statement["text"] == "The member states will fight terrorism" and statement["is_truncated"] == "true"


def test_megabyte_line_of_one_repeated_sentence_is_one_meeting(tmp_path):
    sentence = "The 10th meeting of the Council of Heads of State was held in Tashkent on June 10-11, 2010. "
    raw = write_raw(tmp_path, {"a.txt": (sentence * 12000).encode()})  # ~1.1 MB on one line
    assert build(raw, tmp_path / "out", "-q").returncode == 0
    tables = csv_tables(tmp_path / "out")
    assert [m["meeting_id"] for m in tables["meetings"]] == ["heads_of_state-2010-tashkent"]
    assert len(tables["coverage"]) == 12000 and all(r["is_used"] == "true" for r in tables["coverage"])


def test_identical_sources_count_once(tmp_path):
    raw = write_raw(tmp_path, {"a.txt": CLEAN.encode(), "b.txt": CLEAN.encode()})
    result = build(raw, tmp_path / "out")
    assert result.returncode == 0 and "duplicate_source" in result.stderr
    tables = csv_tables(tmp_path / "out")
    assert [s["source_id"] for s in tables["sources"]] == ["a"]
    assert len(tables["statements"]) == 1


def test_spreadsheet_formulas_stay_verbatim(tmp_path):
    raw = write_raw(tmp_path, {"a.txt": "The heads of state declared:\n\n“=1+1 is what the member states will fight for”".encode()})
    assert build(raw, tmp_path / "out").returncode == 0
    [statement] = csv_tables(tmp_path / "out")["statements"]
    assert statement["text"].startswith("=1+1")


@pytest.mark.parametrize("workers", [1, 2])  # with two, validation runs in a child beside the writing
def test_a_failed_build_leaves_the_previous_build_byte_for_byte(tmp_path, monkeypatch, workers):
    from pipeline.build import build as run_build
    from pipeline.errors import Issue, PipelineError

    out = tmp_path / "out"
    run_build(ROOT / "raw", out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for target, stage in (("pipeline.validate.validate", "validate"), ("pipeline.validate.FrictionlessGate.result", "publish")):
        with monkeypatch.context() as m:
            m.setattr(target, lambda *a, **k: [Issue("test", "broken_on_purpose", "validation broken on purpose")])
            with pytest.raises(PipelineError) as raised:
                run_build(ROOT / "raw", out, use_cache=False, workers=workers)
            assert raised.value.stage == stage
            assert [i.rule for i in raised.value.issues] == ["broken_on_purpose"]
        after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        assert after == before, target
        assert {p.name for p in tmp_path.iterdir()} <= {"out", ".out.cache"}, "no temporary folder is left behind"


# --- integrity of a built folder --------------------------------------------------------------

def _edit_csv(path: Path, edit) -> None:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    edit(rows)
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def _set(table: str, column: str, value: str):
    def edit(rows):
        rows[1][rows[0].index(column)] = value
    return table, edit


def _duplicate_first_row(rows):
    rows.insert(1, list(rows[1]))


def _reseal(out: Path) -> None:
    """Recompute SHA256SUMS so that only the tampering under test is left to find."""
    lines = []
    for line in (out / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        rel = line.split("  ", 1)[1]
        lines.append(f"{hashlib.sha256((out / rel).read_bytes()).hexdigest()}  {rel}")
    (out / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("table, edit, rule", [
    pytest.param(*_set("statements", "meeting_id", "heads_of_state-1999-nowhere"), "foreign_key", id="orphan-foreign-key"),
    pytest.param("meetings", _duplicate_first_row, "schema:primary_key", id="duplicate-key"),
    pytest.param(*_set("meetings", "body", "emperors"), "schema:enum", id="unknown-code"),
    pytest.param(*_set("statements", "char_start", "3"), "span_mismatch", id="span-no-longer-reproduces"),
])
def test_validate_finds_tampered_tables(build_copy, table, edit, rule):
    _edit_csv(build_copy / "csv" / f"{table}.csv", edit)
    _reseal(build_copy)
    result = run_cli("validate", "--out", str(build_copy))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert rule in result.stderr, result.stderr


def test_span_checks_in_two_children_find_what_one_process_finds(seed_build):
    """With two workers the span checks are shared out among forked children: the same issues come
    back, in the same order (statements, evidence, coverage), as from one process."""
    from pipeline.schemas import load_tables
    from pipeline.validate import read_csv_table, validate

    frames = {name: read_csv_table(seed_build / "csv" / f"{name}.csv", table) for name, table in load_tables().items()}
    for name, column in (("coverage", "char_start"), ("evidence", "char_start"), ("statements", "char_start")):
        frames[name].loc[0, column] = frames[name].loc[0, column] + 1  # no longer reproduces its text
    texts = {p.stem: p.read_text(encoding="utf-8") for p in (seed_build / "texts").glob("*.txt")}
    one, two = validate(frames, texts, workers=1), validate(frames, texts, workers=2)
    assert [(i.where, i.rule) for i in two] == [(i.where, i.rule) for i in one]
    assert [i.table for i in one if i.rule == "span_mismatch"] == ["statements", "evidence", "coverage"]


def test_validate_finds_a_file_changed_after_the_build(build_copy):
    with open(build_copy / "parquet" / "meetings.parquet", "ab") as f:
        f.write(b"\0")
    result = run_cli("validate", "--out", str(build_copy))
    assert result.returncode == 1 and "checksum_mismatch" in result.stderr and "meetings.parquet" in result.stderr


def test_safe_by_construction():
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "pipeline").glob("*.py"))
    for forbidden in ("eval(", "exec(", "pickle", "yaml.load(", "shell=True"):
        assert forbidden not in code, forbidden


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failure_in_the_resolve_process_reaches_the_cli_whole(tmp_path, monkeypatch, workers):
    """Resolve runs in a forked child, and with two workers some tables are conformed in another: what
    they raise comes back with every issue, that of the first table in schema order."""
    from pipeline.build import build as run_build
    from pipeline.errors import Issue, PipelineError

    def broken(data, table, threads=1):
        if table.name in ("evidence", "coverage"):  # conformed by the child, and here
            raise PipelineError("conform", [Issue(f"table {table.name} row 0", "primary_key_duplicate", "broken on purpose")])
        return real(data, table, threads)

    real = __import__("pipeline.schemas", fromlist=["conform"]).conform
    monkeypatch.setattr("pipeline.schemas.conform", broken)
    with pytest.raises(PipelineError) as raised:
        run_build(ROOT / "raw", tmp_path / "out", use_cache=False, workers=workers)
    assert raised.value.stage == "conform"
    assert [(i.where, i.rule) for i in raised.value.issues] == [("table evidence row 0", "primary_key_duplicate")]
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.work-*")) and not list(tmp_path.glob(".out.tmp-*"))


def test_scratch_folders_of_killed_builds_are_removed(tmp_path):
    from pipeline.build import build as run_build

    stale = tmp_path / ".out.work-999999999"  # no process has this id
    (stale / "parts").mkdir(parents=True)
    run_build(ROOT / "raw", tmp_path / "out", use_cache=False)
    assert not stale.exists() and not list(tmp_path.glob(".out.work-*"))


def test_validation_in_batches_finds_what_whole_tables_show(seed_build):
    """The build validates large tables a batch of rows at a time: row numbers stay the table's, and
    a key repeated in two batches is still found."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.validate import Frames as _Frames
    from pipeline.reference import load_reference
    from pipeline.schemas import load_tables
    from pipeline.validate import validate

    specs = load_tables()
    tables = {name: pq.read_table(seed_build / "parquet" / f"{name}.parquet") for name in specs}
    texts = {p.stem: p.read_text(encoding="utf-8") for p in (seed_build / "texts").glob("*.txt")}
    rules = set(load_reference().rules)
    assert validate(_Frames(tables, specs, batch_rows=3), texts, rules) == []
    ids = tables["statements"]["statement_id"].to_pylist()
    assert len(ids) > 5
    ids[5] = ids[0]  # the same key in the first and the second batch
    kinds = tables["statements"]["kind"].cast(pa.string()).to_pylist()
    kinds[4] = "not_a_kind"
    column = tables["statements"].schema.get_field_index
    tables["statements"] = tables["statements"].set_column(column("statement_id"), "statement_id", pa.array(ids)) \
        .set_column(column("kind"), "kind", pa.array(kinds))
    found = {(i.where, i.rule) for i in validate(_Frames(tables, specs, batch_rows=3), texts, rules)}
    assert {("table statements row 0", "schema:primary_key"), ("table statements row 5", "schema:primary_key"),
            ("table statements row 4", "schema:enum")} <= found


# --- the frictionless gate, its large resources cut into parts ------------------------------

def test_csv_cuts_fall_between_records(tmp_path):
    from pipeline.validate import csv_cuts

    rows = [["id", "text"]] + [[f"r{i:03d}", f'line {i}, with "quotes"\nand a break' if i % 3 else f"plain {i}"]
                                for i in range(200)]
    path = tmp_path / "t.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    data = path.read_bytes()
    for parts in (1, 2, 3, 7):
        cuts = csv_cuts(path, parts)
        assert cuts[-1] == len(data) and len(cuts) <= parts + 1 and cuts == sorted(cuts)
        pieces = [data[a:b].decode("utf-8") for a, b in zip(cuts, cuts[1:])]
        assert "".join(pieces) == data.decode("utf-8")[cuts[0]:]
        parsed = [list(csv.reader(io.StringIO(p, newline=""))) for p in pieces]
        assert sum(parsed, []) == list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))[1:], parts


@pytest.mark.parametrize("tamper", ["none", "bad_code", "duplicate_key", "missing_source"])
def test_the_gate_in_parts_finds_what_the_whole_gate_finds(build_copy, tamper):
    """Cut into parts (two processes), the gate reports the same problems, at the same rows, as one process."""
    from pipeline.validate import FrictionlessGate, frictionless_issues

    path = build_copy / "csv" / "evidence.csv"
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    last = len(rows) - 1
    if tamper == "bad_code":
        rows[last][rows[0].index("basis")] = "guessed"
    elif tamper == "duplicate_key":
        rows[last][0] = rows[1][0]
    elif tamper == "missing_source":
        rows[last - 1][rows[0].index("source_id")] = "no_such_source"
    if tamper != "none":
        with open(path, "w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)
    gate = FrictionlessGate(build_copy, workers=2)
    gate.close()
    assert len([t for t in gate.tasks if t[0] == "evidence"]) > 1, "evidence is cut into parts"
    whole = {(i.where, i.rule) for i in frictionless_issues(build_copy, workers=1)}
    parts = {(i.where, i.rule) for i in frictionless_issues(build_copy, workers=2)}
    assert parts == whole
    assert bool(whole) == (tamper != "none")


@pytest.mark.parametrize("target, rule", [("../outside.txt", "path_outside_raw"), ("inside/real.txt", None)])
def test_a_link_is_followed_and_must_stay_in_the_raw_folder(tmp_path, target, rule):
    from pipeline.errors import PipelineError
    from pipeline.ingest import ingest

    raw = write_raw(tmp_path, {}, "source_id,path\na,a.txt\n")
    (raw / "inside").mkdir()
    for real in (tmp_path / "outside.txt", raw / "inside" / "real.txt"):
        real.write_text(CLEAN, encoding="utf-8")
    (raw / "a.txt").symlink_to(target)  # a plain file name, but a link
    if rule is None:
        assert ingest(raw).sources[0].text == CLEAN
    else:
        with pytest.raises(PipelineError) as err:
            ingest(raw)
        assert [i.rule for i in err.value.issues] == [rule]


SOURCE = "Peace\u00a0and  order.\nNext line."
SPAN_CASES = [  # (start, end, text column, does the span reproduce it?)
    (0, 16, "Peace and order", True),       # a no-break space and a double space normalise to single spaces
    (0, 16, "Peace\u00a0and  order", False),  # the span's raw text, but the column is not in normal form
    (0, 5, "Peace", True),
    (0, 5, " Peace", False),
    (16, 28, ". Next line.", True),           # a line break normalises to a space
    (17, 28, ". Next line.", False),          # off by one
    (18, 28, "Next line.", True),
    (17, 22, "\nNext", False),
    (0, 99, "Peace", False),                  # past the end of the text
]


@pytest.mark.parametrize("start, end, text, reproduces", SPAN_CASES)
def test_a_span_reproduces_its_text_only_in_normal_form(start, end, text, reproduces):
    import pandas as pd

    from pipeline.validate import _span_issues

    frame = pd.DataFrame({"source_id": ["s", "missing", None], "char_start": [start] * 3, "char_end": [end] * 3,
                          "text": [text] * 3})  # a source id with no text is another check's to report
    issues = _span_issues({"statements": frame}, {"s": SOURCE}, names=("statements",))
    assert [(i.where, i.rule) for i in issues] == ([] if reproduces else [("table statements row 0", "span_mismatch")])


def test_a_statement_that_breaks_a_span_promise_is_left_out_with_a_warning():
    """A record with an empty span (an internal bug) is dropped and named in the warnings, not published."""
    from pipeline.extract import extract
    from pipeline.ingest import source_from_text
    from pipeline.reference import load_reference
    from pipeline.source_rows import source_rows

    ref = load_reference()
    x = extract(source_from_text("The leaders stressed that terrorism must be fought.\n\nThe leaders noted that trade grows."), ref)
    broken = x.statements[0]
    broken.speaker.end = broken.speaker.start  # as a faulty rule would leave it
    rows = source_rows(x, ref)
    assert len(rows.tables["statements"]["statement_id"]) == 1
    left_out = [w for w in rows.warnings if w.rule == "statement_left_out"]
    assert len(left_out) == 1 and "speaker has an empty span (rule actor_before_reporting_verb)" in left_out[0].message
    assert left_out[0].where.endswith(":1") and "terrorism" in left_out[0].value


def test_a_sentence_the_reader_fails_on_is_left_out_with_a_warning(monkeypatch):
    """An exception while reading one sentence costs that sentence only."""
    from pipeline import extract as extract_module
    from pipeline.ingest import source_from_text
    from pipeline.reference import load_reference

    read = extract_module._Reader._read_sentence

    def fragile(self, pi, s, e, masked, quotes):
        if "BOOM" in masked[s:e]:
            raise ValueError("a bug")
        return read(self, pi, s, e, masked, quotes)

    monkeypatch.setattr(extract_module._Reader, "_read_sentence", fragile)
    x = extract_module.extract(source_from_text("The leaders stressed BOOM. The leaders noted that trade grows."),
                               load_reference())
    assert [st.start for st in x.statements] == [27]
    assert [(w.rule, w.value) for w in x.warnings] == [("sentence_not_read", "The leaders stressed BOOM.")]
    assert "ValueError: a bug" in x.warnings[0].message
