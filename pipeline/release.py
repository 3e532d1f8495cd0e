"""Release: bundle a validated build with its data card, codebook, dictionary, page and licences.

dist/<name>-<version>.zip is deterministic: entries sorted, timestamps from the package's
`created` date, fixed permissions. Its CHANGELOG.md adds the data changes against the previous
release found in dist/ (by `diff`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tempfile
import zipfile
from pathlib import Path

from pipeline import __version__
from pipeline.errors import PipelineError
from pipeline.paths import ROOT
from pipeline.schemas import load_package

REPO_FILES = ("CHANGELOG.md", "LICENSE", "LICENSE-DATA", "docs/CODEBOOK.md", "docs/DATA_DICTIONARY.md")
BUILD_PARTS = ("datapackage.json", "csv", "parquet", "texts", "reference", "report.json")  # and the DuckDB script
DUCKDB_MIN = "1.1.3"  # tests/test_compat.py opens our files with it (1.0 cannot open the file; 1.1.0 crashes on the script)
DUCKDB_SCRIPT = "sco_statements.sql"
QUALITY = ROOT / "docs" / "QUALITY.yaml"  # measured by tests/test_corpus.py on the gold-annotated texts
SOURCES_LISTED = 20


def make_release(build_dir: Path, dist_dir: Path) -> Path:
    """Validate build_dir and write dist_dir/<name>-<version>.zip; returns the zip's path."""
    from markdown_it import MarkdownIt

    from pipeline.page import render_page
    from pipeline.publish import duckdb_script
    from pipeline.reference import load_reference
    from pipeline.validate import validate_folder

    build_dir, dist_dir = Path(build_dir), Path(dist_dir)
    issues = validate_folder(build_dir, set(load_reference().rules))
    if issues:
        raise PipelineError("release", issues)
    package = json.loads((build_dir / "datapackage.json").read_text(encoding="utf-8"))
    meta = load_package()
    name = f"{meta['name']}-{__version__}"
    md = MarkdownIt("commonmark").enable("table")
    # the maintainers' note (how the file is generated) stays out of what users read
    dictionary_md = (ROOT / "docs" / "DATA_DICTIONARY.md").read_text(encoding="utf-8")
    dictionary_md = re.sub(r"<!--.*?-->\n?", "", dictionary_md, flags=re.S)
    files: dict[str, bytes] = {}
    for part in BUILD_PARTS:
        path = build_dir / part
        for p in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if p.is_file():
                files[p.relative_to(build_dir).as_posix()] = p.read_bytes()
    files[DUCKDB_SCRIPT] = duckdb_script(build_dir).encode("utf-8")  # not the file: its bytes differ every build
    for rel in REPO_FILES:
        files[Path(rel).name] = (ROOT / rel).read_bytes()
    for p in sorted((ROOT / "reference").rglob("*")):  # the vocabularies and rules the codebook cites
        if p.is_file():
            files.setdefault(p.relative_to(ROOT).as_posix(), p.read_bytes())
    files["CHANGELOG.md"] = _changelog(build_dir, dist_dir, meta["name"]).encode("utf-8")
    files["DATA_DICTIONARY.html"] = _html_document("Data dictionary", md.render(dictionary_md)).encode("utf-8")
    files["index.html"] = render_page(build_dir, md.render(dictionary_md.split("\n", 2)[2]),
                                      _citation_meta(package)).encode("utf-8")
    files["README.md"] = _data_card(package, build_dir).encode("utf-8")
    files["CITATION.cff"] = _citation(package).encode("utf-8")
    files[".zenodo.json"] = _zenodo(package).encode("utf-8")
    files["SHA256SUMS"] = "".join(f"{hashlib.sha256(data).hexdigest()}  {rel}\n"
                                  for rel, data in sorted(files.items())).encode("utf-8")
    dist_dir.mkdir(parents=True, exist_ok=True)
    target = dist_dir / f"{name}.zip"
    stamp = dt.datetime.strptime(package["created"][:19], "%Y-%m-%dT%H:%M:%S").timetuple()[:6]
    tmp = target.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for rel in sorted(files):
            info = zipfile.ZipInfo(f"{name}/{rel}", date_time=stamp)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, files[rel])
    tmp.replace(target)
    return target


def _changelog(build_dir: Path, dist_dir: Path, dataset: str) -> str:
    """The repository's changelog without its Unreleased entry (engineering notes stay in the repository),
    and this release's data changes against the previous release in dist/."""
    from pipeline.diff import diff_builds, render_diff

    text = re.sub(r"\n## Unreleased\n.*?(?=\n## |\Z)", "", (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"),
                  flags=re.S).rstrip("\n")
    previous = sorted(p for p in dist_dir.glob(f"{dataset}-*.zip") if p.stem != f"{dataset}-{__version__}")
    if not previous:
        return text + f"\n\n### Data in {__version__}\n\nFirst release: no earlier release in dist/ to compare with.\n"
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(previous[-1]) as z:
            z.extractall(tmp)
        old = next(Path(tmp).iterdir())
        table = render_diff(diff_builds(old, build_dir))
    return text + f"\n\n### Data in {__version__} compared with {previous[-1].stem}\n\n{table}\n"


def _data_card(package: dict, build_dir: Path) -> str:
    import yaml

    counts = json.loads((build_dir / "report.json").read_text(encoding="utf-8"))["row_counts"]
    table = "| table | rows |\n|---|---:|\n" + "".join(f"| `{t}` | {n} |\n" for t, n in counts.items())
    quality = yaml.safe_load(QUALITY.read_text(encoding="utf-8"))
    meta = _citation_meta(package)
    template = (ROOT / "docs" / "DATA_CARD.template.md").read_text(encoding="utf-8")
    return template.format(title=package["title"], version=package["version"], description=package["description"],
                           released=meta["date"], counts=table, duckdb_min=DUCKDB_MIN, coverage=_coverage(build_dir),
                           n_texts=len(quality["texts"]), quality=_quality_table(quality),
                           citation_text=_citation_text(meta))


def _coverage(build_dir: Path) -> str:
    """What the build covers: its sources, and the years and councils of its meetings and documents."""
    from pipeline.load import connect

    con = connect(build_dir, ["sources", "meetings", "documents"])
    try:
        sources = con.sql("SELECT coalesce(title, source_id) FROM sources ORDER BY source_id").fetchall()
        first, last, n = con.sql("SELECT min(year), max(year), count(*) FROM meetings").fetchall()[0]
        councils = con.sql("SELECT body, count(*) FROM meetings GROUP BY ALL ORDER BY 2 DESC, 1").fetchall()
        d_first, d_last, dated, n_documents = con.sql(
            "SELECT min(year), max(year), count(year), count(*) FROM documents").fetchall()[0]
    finally:
        con.close()
    listed = "".join(f"  - {title}\n" for (title,) in sources[:SOURCES_LISTED])
    more = f"  - and {len(sources) - SOURCES_LISTED:,} more (`csv/sources.csv`)\n" if len(sources) > SOURCES_LISTED else ""
    years = f"from {first} to {last}" if first else "none of them dated"
    bodies = ", ".join(f"{k} {(b or 'unknown council').replace('_', ' ')}" for b, k in councils)
    return (f"- **Sources**: {len(sources):,} text(s), each in `texts/` and described in `csv/sources.csv`:\n{listed}{more}"
            f"- **Meetings**: {n:,}, {years} ({bodies}).\n"
            f"- **Documents**: {n_documents:,}, {_dated(dated, d_first, d_last)}.\n"
            "- **Reference data**: the chronology of SCO meetings 2001-2025 and the member states "
            "(`reference/*.csv`, each row with its source URLs) fill the dates and places a text leaves out; such "
            "values are marked `reference` in `evidence`, never `stated`.")


def _dated(dated: int, first, last) -> str:
    return f"{dated:,} of them dated, from {first} to {last}" if dated else "none of them dated"


def _quality_table(quality: dict) -> str:
    """The measured extraction quality per table, as a Markdown table."""
    rows = ["| table | precision | recall | rows right / wrong / missed |", "|---|---:|---:|---|"]
    for table, q in quality["tables"].items():
        tally = f"{q['right']} / {q['wrong']} / {q['missed']}" if "right" in q else "mean over the texts"
        rows.append(f"| `{table}` | {q['precision']:.2f} | {q['recall']:.2f} | {tally} |")
    rows.append(f"| links of statements to their meeting and document | | | {quality['links_right']} of "
                f"{quality['links_total']} right |")
    rows.append(f"| meetings' ordinals, dates and host countries; documents' types and dates | | | {quality['fields_right']} of "
                f"{quality['fields_total']} right |")
    return "\n".join(rows)


def _citation_text(meta: dict) -> str:
    where = f" {meta['repository']}" if meta["repository"] else ""
    return f"{', '.join(meta['authors'])} ({meta['date'][:4]}). *{meta['title']}*, version {meta['version']} [dataset].{where}"


def _citation_meta(package: dict) -> dict:
    """The citation facts, once: CITATION.cff and .zenodo.json are both written from them."""
    return {"title": package["title"], "version": package["version"], "date": package["created"][:10],
            "license": package["licenses"][0]["name"], "authors": [c["title"] for c in package["contributors"]],
            "keywords": list(package["keywords"]), "description": package.get("description", ""),
            "repository": load_package().get("repository") or ""}


def _citation(package: dict) -> str:
    """CITATION.cff, written by a YAML library (a title with quotes or colons stays valid)."""
    import yaml

    meta = _citation_meta(package)
    cff = {"cff-version": "1.2.0", "message": "If you use this dataset, please cite it as below.", "type": "dataset",
           "title": meta["title"], "version": meta["version"], "date-released": meta["date"],
           "license": meta["license"], "authors": [{"name": a} for a in meta["authors"]], "keywords": meta["keywords"]}
    if meta["repository"]:
        cff["repository-code"] = cff["url"] = meta["repository"]
    return yaml.safe_dump(cff, sort_keys=False, allow_unicode=True, width=100)


def _zenodo(package: dict) -> str:
    """.zenodo.json: the same facts in Zenodo's deposit metadata."""
    meta = _citation_meta(package)
    deposit = {"title": meta["title"], "version": meta["version"], "publication_date": meta["date"],
               "upload_type": "dataset", "description": meta["description"] or meta["title"],
               "license": meta["license"].lower(), "creators": [{"name": a} for a in meta["authors"]],
               "keywords": meta["keywords"]}
    if meta["repository"]:
        deposit["related_identifiers"] = [{"identifier": meta["repository"], "relation": "isSupplementedBy",
                                           "resource_type": "software"}]
    return json.dumps(deposit, indent=2, ensure_ascii=False) + "\n"


def _html_document(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}"
            f"table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #ddd;padding:.3em;text-align:left}}"
            f"</style></head><body>\n{body}</body></html>\n")
