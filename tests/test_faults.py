"""Fault injection: what an unlucky machine or a careless command does to a build (kills at several
moments, two builds at once, an --out that is not a build, Ctrl-C and SIGTERM). Nothing a user had is
lost, no process is left running, and the next build leaves no temporary folder behind."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.faults


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under folder (hidden ones too) and its sha256."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A synthetic corpus big enough (1.5 MB) that a build is still extracting a second after it starts."""
    from bench.generate import generate

    raw = tmp_path_factory.mktemp("corpus") / "raw"
    generate(raw, 1.5)
    return raw


def start_build(raw: Path, out: Path, *extra: str) -> subprocess.Popen:
    """A build in a session of its own: its process group holds it and every process it forks."""
    return subprocess.Popen([sys.executable, "-m", "pipeline", "build", "--raw", str(raw), "--out", str(out),
                             "--workers", "2", *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def group_gone(pgid: int, wait: float = 10.0) -> bool:
    """Whether every process of the group has ended (within `wait` seconds)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def copy_build(seed_build: Path, out: Path) -> Path:
    """A copy of the session's build of raw/ (and its cache), as if built into `out`."""
    import shutil

    shutil.copytree(seed_build, out)
    shutil.copytree(seed_build.parent / f".{seed_build.name}.cache", out.parent / f".{out.name}.cache")
    return out


def leftovers(parent: Path, name: str = "out") -> set[str]:
    """What lies beside the output folder besides it and its cache."""
    return {p.name for p in parent.iterdir()} - {name, f".{name}.cache", "raw", "corpus"}


# --- an --out that is not a build is refused, and keeps every byte ------------------------------

@pytest.mark.parametrize("layout", ["raw-inside-out", "folder-with-notes", "regular-file"])
def test_an_out_that_is_not_a_build_is_refused_before_any_work(tmp_path, layout):
    raw = tmp_path / "d" / "raw"
    raw.mkdir(parents=True)
    (raw / "a.txt").write_text("The Council of Heads of State met in Astana on 4 July 2024.", encoding="utf-8")
    out = {"raw-inside-out": tmp_path / "d", "folder-with-notes": tmp_path / "notes",
           "regular-file": tmp_path / "file.csv"}[layout]
    if layout == "folder-with-notes":
        out.mkdir()
        (out / "notes.md").write_text("mine", encoding="utf-8")
    if layout == "regular-file":
        out.write_text("a,b\n", encoding="utf-8")
    before = snapshot(tmp_path)
    result = run_cli("build", "--raw", str(raw), "--out", str(out))
    assert result.returncode == 1
    assert str(out) in result.stderr and "[out_not_a_build]" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("workers", ["0", "-3", "two"])
def test_workers_below_one_are_refused(tmp_path, workers):
    result = run_cli("build", "--raw", str(ROOT / "raw"), "--out", str(tmp_path / "out"), "--workers", workers)
    assert result.returncode == 2 and "--workers" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_users_own_files_in_a_build_survive_a_rebuild(tmp_path, seed_build):
    out = copy_build(seed_build, tmp_path / "out")
    (out / "my_notes.md").write_text("mine", encoding="utf-8")
    assert run_cli("build", "--raw", str(ROOT / "raw"), "--out", str(out), "-q", "--no-cache").returncode == 0
    assert (out / "my_notes.md").read_text(encoding="utf-8") == "mine"


# --- kills, signals, two builds at once ----------------------------------------------------------

@pytest.mark.parametrize("after", [1.0, 2.5])
def test_kill_9_of_the_build_leaves_no_process_and_the_next_build_no_leftovers(tmp_path, corpus, after, seed_build):
    out = copy_build(seed_build, tmp_path / "out")
    before = snapshot(out)
    build = start_build(corpus, out, "--no-cache")
    time.sleep(after)
    if build.poll() is None:
        os.kill(build.pid, signal.SIGKILL)
    build.wait()
    assert group_gone(build.pid), "a process of the killed build is still running"
    assert snapshot(out) == before or build.returncode == 0  # the last good build, unless it had finished
    result = run_cli("build", "--raw", str(ROOT / "raw"), "--out", str(out), "-q", "--no-cache")
    assert result.returncode == 0, result.stderr
    assert leftovers(tmp_path) == set()


@pytest.mark.parametrize("sig, code, name", [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "Ctrl-C")])
def test_sigterm_and_ctrl_c_end_the_build_with_one_line(tmp_path, corpus, sig, code, name):
    out = tmp_path / "out"
    build = start_build(corpus, out, "--no-cache")
    time.sleep(1.5)
    os.killpg(build.pid, sig) if sig == signal.SIGINT else os.kill(build.pid, sig)  # Ctrl-C reaches the group
    _, stderr = build.communicate(timeout=60)
    assert build.returncode == code, stderr
    assert stderr.strip().splitlines()[-1].startswith(f"error: build stopped by {name}")
    assert "Traceback" not in stderr
    assert group_gone(build.pid)
    assert not out.exists() and leftovers(tmp_path) == set()


def test_two_builds_into_one_folder_never_collide(tmp_path):
    out = tmp_path / "out"
    builds = [start_build(ROOT / "raw", out) for _ in range(2)]  # at once: one holds the lock while the other asks
    ends = [(b.wait(timeout=120), b.stderr.read()) for b in builds]
    assert sorted(code for code, _ in ends) == [0, 1], ends
    assert "[out_busy]" in next(err for code, err in ends if code == 1)
    assert run_cli("validate", "--out", str(out)).returncode == 0
    assert leftovers(tmp_path) == set()


def test_a_publish_cut_between_its_renames_is_put_back(tmp_path, seed_build):
    from pipeline.outdir import claim

    out = copy_build(seed_build, tmp_path / "out")
    before = snapshot(out)
    os.replace(out, tmp_path / ".out.old-99999")  # as a kill between the two renames leaves it
    (tmp_path / ".out.tmp-99999").mkdir()
    with claim(out):
        assert snapshot(out) == before
    assert leftovers(tmp_path) == set()


def test_a_mount_point_is_published_inside(tmp_path, monkeypatch):
    from pipeline.build import build

    out = tmp_path / "volume"
    out.mkdir()
    real = os.path.ismount
    monkeypatch.setattr(os.path, "ismount", lambda p: Path(p) == out or real(p))
    build(ROOT / "raw", out, workers=1)
    build(ROOT / "raw", out, workers=1, use_cache=False)
    assert (out / "datapackage.json").is_file() and run_cli("validate", "--out", str(out)).returncode == 0
    assert {p.name for p in out.iterdir() if p.name.startswith(".")} <= {".cache", ".sco-statements-build"}
    assert {p.name for p in tmp_path.iterdir()} == {"volume"}


# --- a cache that cannot lie -----------------------------------------------------------------

@pytest.mark.parametrize("edit", ["changed-value", "wrong-types", "not-json"])
def test_an_edited_cache_entry_is_extracted_again_with_a_warning(tmp_path, edit):
    import json

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("The Council of Heads of State met in Sochi on 5 May 2030. The leaders stressed "
                               "that terrorism must be fought.", encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("build", "--raw", str(raw), "--out", str(out), "-q").returncode == 0
    before = snapshot(out)
    [entry] = (tmp_path / ".out.cache").glob("*.json")
    digest, _, body = entry.read_bytes().partition(b"\n")
    if edit == "changed-value":
        body = body.replace(b"Sochi", b"Paris")
    elif edit == "wrong-types":  # with a digest that fits: only the types can tell
        data = json.loads(body)
        data["tables"]["statements"]["char_start"] = "many"
        body = json.dumps(data).encode()
        digest = hashlib.sha256(body).hexdigest().encode()
    else:
        body = b"{not json"
    entry.write_bytes(digest + b"\n" + body)
    (raw / "b.txt").write_text("The prime ministers met in Minsk on 1 March 2031.", encoding="utf-8")  # a rebuild
    result = run_cli("build", "--raw", str(raw), "--out", str(out), "-v")
    assert result.returncode == 0, result.stderr
    assert "a.txt: its cache entry was not used" in result.stderr and "[cache_entry_rebuilt]" in result.stderr
    assert "Paris" not in (out / "csv" / "meetings.csv").read_text(encoding="utf-8")
    assert {k: v for k, v in snapshot(out).items() if k.startswith("texts/a")} == \
        {k: v for k, v in before.items() if k.startswith("texts/a")}


def test_no_cache_replaces_a_bad_entry(tmp_path, seed_build):
    out = copy_build(seed_build, tmp_path / "out")
    for entry in (tmp_path / ".out.cache").glob("*.json"):
        entry.write_bytes(b"0\n{}")
    assert run_cli("build", "--raw", str(ROOT / "raw"), "--out", str(out), "-q", "--no-cache").returncode == 0
    (out / "report.json").unlink()  # not up to date: the cache is read
    result = run_cli("build", "--raw", str(ROOT / "raw"), "--out", str(out), "-v")
    assert result.returncode == 0 and "cache_entry_rebuilt" not in result.stderr


def test_the_cache_does_not_depend_on_how_raw_is_spelt(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("The Council of Heads of State met in Astana on 4 July 2024.", encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("build", "--raw", str(raw), "--out", str(out), "-q").returncode == 0
    relative = os.path.relpath(raw, ROOT)
    result = run_cli("build", "--raw", relative, "--out", str(out), "-v")
    assert result.returncode == 0 and "is up to date" in result.stdout


# --- validate has no holes -------------------------------------------------------------------

@pytest.fixture
def built(tmp_path, seed_build) -> Path:
    return copy_build(seed_build, tmp_path / "out")


def _drop_line(sums: Path, rel: str) -> None:
    sums.write_text("".join(line for line in sums.read_text(encoding="utf-8").splitlines(keepends=True)
                            if not line.rstrip("\n").endswith(f"  {rel}")), encoding="utf-8")


@pytest.mark.parametrize("damage, code", [
    ("parquet-edited-and-unlisted", "checksum_unlisted"),
    ("file-added", "checksum_unlisted"),
    ("datapackage-broken", "datapackage_unreadable"),
    ("resource-removed", "datapackage_resource_missing"),
    ("duckdb-broken", "duckdb_failed"),
])
def test_validate_reports_every_damage_as_a_line(built, damage, code):
    import json

    sums = built / "SHA256SUMS"
    if damage == "parquet-edited-and-unlisted":
        path = built / "parquet" / "themes.parquet"
        path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
        _drop_line(sums, "parquet/themes.parquet")
    elif damage == "file-added":
        (built / "csv" / "extra.csv").write_text("a\n1\n", encoding="utf-8")
    elif damage == "datapackage-broken":
        (built / "datapackage.json").write_text("{", encoding="utf-8")
    elif damage == "resource-removed":
        package = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
        package["resources"] = [r for r in package["resources"] if r["name"] != "themes"]
        (built / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    else:
        (built / "sco_statements.duckdb").write_bytes(b"not a database")
    result = run_cli("validate", "--out", str(built))
    assert result.returncode == 1 and f"[{code}]" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


# --- inputs: every fault is a clear line naming the file (and line) ------------------------------

MANIFEST_HEAD = "source_id,path,title,published_date\n"


@pytest.mark.parametrize("manifest, code, where", [
    (b"\xef\xbb\xbf" + MANIFEST_HEAD.encode() + b"a,a.txt,A,2020-01-01\n", None, None),
    (MANIFEST_HEAD.encode() + b"a,a.txt,Caf\xe9,2020-01-01\n", "manifest_encoding", "manifest.csv:2"),
    (MANIFEST_HEAD.encode() + b"a,a.txt,A\x00B,2020-01-01\n", "manifest_value", "manifest.csv:2"),
    (MANIFEST_HEAD.encode() + b"a,a.txt,A,20200101\n", "manifest_date", "manifest.csv:2"),
    (MANIFEST_HEAD.encode() + b"a" * 300 + b",a.txt,A,2020-01-01\n", "manifest_source_id", "manifest.csv:2"),
], ids=["bom-accepted", "not-utf8", "nul-in-title", "basic-iso-date", "long-source-id"])
def test_manifest_faults_name_the_line(tmp_path, manifest, code, where):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("The Council of Heads of State met in Astana on 4 July 2024.", encoding="utf-8")
    (raw / "manifest.csv").write_bytes(manifest)
    result = run_cli("build", "--raw", str(raw), "--out", str(tmp_path / "out"))
    assert "Traceback" not in result.stderr
    if code is None:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode == 1 and f"[{code}]" in result.stderr and where in result.stderr, result.stderr
        assert not (tmp_path / "out").exists()


def test_files_the_build_does_not_read_are_warned_of(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("The Council of Heads of State met in Astana on 4 July 2024.", encoding="utf-8")
    (raw / "B.TXT").write_text("The prime ministers met in Minsk on 1 March 2031.", encoding="utf-8")
    (raw / "notes.docx").write_bytes(b"PK")
    result = run_cli("build", "--raw", str(raw), "--out", str(tmp_path / "out"), "-v")
    assert result.returncode == 0, result.stderr
    assert "notes.docx: not a .txt file; left out of the build [file_not_read]" in result.stderr
    assert "2 .txt file(s)" in result.stderr  # .TXT is read too
    (raw / "manifest.csv").write_text(MANIFEST_HEAD + "a,a.txt,A,2024-07-04\n", encoding="utf-8")
    result = run_cli("build", "--raw", str(raw), "--out", str(tmp_path / "out"), "-v")
    assert "B.TXT: not listed in manifest.csv; left out of the build [file_not_read]" in result.stderr


def test_raw_pointing_at_a_file_says_so(tmp_path):
    (tmp_path / "a.txt").write_text("text", encoding="utf-8")
    result = run_cli("build", "--raw", str(tmp_path / "a.txt"), "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and "--raw is a file" in result.stderr
