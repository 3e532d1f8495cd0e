"""The offline data page: one self-contained HTML file (no server, no network) describing a build.

A timeline chart of meetings with their statements by theme (inline SVG that fits any width), the
meetings, documents and statements, filtered in the browser by words, theme, year, council and kind
(`#theme=...&year=...` in the address opens it filtered), each statement with its source passage and
a link to its source file, the downloads and the data dictionary, and schema.org `Dataset` JSON-LD.
The page stays under PAGE_LIMIT bytes whatever the corpus: it lists as many rows as fit, in key
order, and says how many it left out and how to query them.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from pipeline.paths import ROOT

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"]
CONTEXT_CHARS = 120
PAGE_LIMIT = 9_500_000  # bytes: under 10 MB, so that a phone opens it
TEMPLATE = ROOT / "docs" / "PAGE.template.html"
SCRIPT = ROOT / "docs" / "PAGE.template.js"
QUERY_HINT = ("python -m pipeline query \"SELECT * FROM statements_in_context WHERE meeting_year = 2019\" --format csv, "
              "or in DuckDB: SELECT * FROM 'parquet/statements.parquet'")


def render_page(out_dir: Path, dictionary_html: str, citation: dict) -> str:
    """The HTML page for a built folder; `citation` is the release's citation facts (for the JSON-LD)."""
    from pipeline.load import connect

    out_dir = Path(out_dir)
    package = json.loads((out_dir / "datapackage.json").read_text(encoding="utf-8"))
    con = connect(out_dir, ["meetings", "documents", "statements", "themes", "statement_themes"])
    try:
        t = _page_tables(con)
        t["row_counts"] = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))["row_counts"]
        budget = PAGE_LIMIT - len(_fill(package, t, citation, dictionary_html, [], [], []).encode("utf-8"))
        # meetings may fill a quarter of what is left, documents a third of the rest, statements the remainder
        meetings = _take(t["meeting_rows"], budget // 4)
        budget -= _size(meetings)
        documents = _take(t["document_rows"], budget // 3)
        budget -= _size(documents)
        statements = _take(_statement_rows(out_dir, con.execute(STATEMENTS_SQL), t), budget)
    finally:
        con.close()
    return _fill(package, t, citation, dictionary_html, meetings, documents, statements)


STATEMENTS_SQL = """
SELECT s.statement_id, s.kind, s.text, coalesce(s.speaker, ''), s.meeting_id, s.document_id,
       list(st.theme_id ORDER BY st.theme_id) FILTER (WHERE st.theme_id IS NOT NULL), s.source_id, s.char_start, s.char_end
FROM statements s LEFT JOIN statement_themes st USING (statement_id)
GROUP BY ALL ORDER BY s.statement_id
"""


def _page_tables(con) -> dict:
    """Everything but the statement rows: themes, meetings, documents (encoded), counts for the chart."""
    themes = con.execute("SELECT theme_id, label FROM themes ORDER BY theme_id").fetchall()
    colour = {th: PALETTE[i % len(PALETTE)] for i, (th, _) in enumerate(themes)}
    meetings = con.execute(
        "SELECT m.meeting_id, m.label, m.body, m.year, m.start_date, "
        "concat_ws(', ', m.city, m.country_code), count(s.statement_id) "
        "FROM meetings m LEFT JOIN statements s USING (meeting_id) GROUP BY ALL "
        "ORDER BY m.start_date NULLS LAST, m.year NULLS LAST, m.meeting_id").fetchall()
    meeting_index = {m[0]: i for i, m in enumerate(meetings)}
    documents = con.execute("SELECT document_id, title, doc_type, status, year, meeting_id FROM documents "
                            "ORDER BY year NULLS LAST, title, document_id").fetchall()
    document_index = {d[0]: i for i, d in enumerate(documents)}
    by_theme = con.execute(
        "SELECT s.meeting_id, coalesce(st.theme_id, '(no theme)'), count(*) FROM statements s "
        "LEFT JOIN statement_themes st USING (statement_id) WHERE s.meeting_id IS NOT NULL GROUP BY ALL ORDER BY ALL").fetchall()
    counts: dict[str, dict[str, int]] = {}
    for meeting_id, theme, n in by_theme:
        counts.setdefault(meeting_id, {})[theme] = n
    return {
        "themes": themes, "colour": colour, "meetings": meetings, "counts": counts,
        "meeting_index": meeting_index, "document_index": document_index,
        "theme_index": {th: i for i, (th, _) in enumerate(themes)},
        "n": {name: con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0] for name in ("meetings", "documents", "statements")},
        "kinds": [k for (k,) in con.execute("SELECT DISTINCT kind FROM statements ORDER BY kind").fetchall()],
        "years": sorted({m[3] for m in meetings if m[3]} | {d[4] for d in documents if d[4]}),
        "bodies": sorted({m[2] for m in meetings if m[2]}),
        "meeting_rows": [_json([m[0], m[1], m[2], m[3], str(m[4] or ""), m[5], m[6]]) for m in meetings],
        "document_rows": [_json([d[0], d[1], d[2], d[3], d[4], meeting_index.get(d[5], -1)]) for d in documents],
    }


def _statement_rows(out_dir: Path, cursor, t: dict):
    """Each statement as an encoded row with its passage, in key order, reading each source text once."""
    texts: dict[str, str] = {}
    while batch := cursor.fetchmany(1000):
        for sid, kind, text, speaker, meeting_id, document_id, themes, source_id, a, b in batch:
            if source_id not in texts:
                texts[source_id] = (out_dir / "texts" / f"{source_id}.txt").read_text(encoding="utf-8")
            body = texts[source_id]
            yield _json([sid, kind, text, speaker, t["meeting_index"].get(meeting_id, -1),
                         t["document_index"].get(document_id, -1), [t["theme_index"][th] for th in themes or []],
                         source_id, a, b, body[max(0, a - CONTEXT_CHARS):a], body[b:b + CONTEXT_CHARS]])


def _take(rows, budget: int) -> list[str]:
    """As many encoded rows as fit in `budget` bytes (with a comma each), in their order."""
    taken: list[str] = []
    for row in rows:
        budget -= len(row.encode("utf-8")) + 1
        if budget < 0:
            break
        taken.append(row)
    return taken


def _size(rows: list[str]) -> int:
    return sum(len(r.encode("utf-8")) + 1 for r in rows)


def _json(value) -> str:
    """Compact JSON that is safe inside a <script> element."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")  # no </script> or <!--


def _fill(package: dict, t: dict, citation: dict, dictionary_html: str,
          meetings: list[str], documents: list[str], statements: list[str]) -> str:
    """The template with every slot filled; with empty row lists it measures the page's fixed part."""
    n = t["n"]
    data = ('{"themes":' + _json([[th, label, t["colour"][th]] for th, label in t["themes"]])
            + ',"meetings":[' + ",".join(meetings) + '],"documents":[' + ",".join(documents)
            + '],"statements":[' + ",".join(statements) + "]}")
    slots = {
        "title": html.escape(package["title"]), "description": html.escape(package["description"]),
        "version": html.escape(package["version"]), "released": html.escape(citation["date"]),
        "counts": ", ".join(f"{n[name]:,} {name}" for name in ("meetings", "documents", "statements")),
        "n_statements": f"{n['statements']:,}", "jsonld": _json(_jsonld(package, citation, t)),
        "chart": _timeline_svg(t), "legend": "".join(
            f'<span class="tag" style="background:{t["colour"][th]}">{html.escape(label)}</span>' for th, label in t["themes"]),
        "theme_options": _options((th, label) for th, label in t["themes"]),
        "year_options": _options((str(y), str(y)) for y in t["years"]),
        "council_options": _options((b, b.replace("_", " ")) for b in t["bodies"]),
        "kind_options": _options((k, k) for k in t["kinds"]),
        "n_meetings_listed": f"{len(meetings):,}", "n_documents_listed": f"{len(documents):,}",
        "n_statements_listed": f"{len(statements):,}",
        "meetings_note": _left_out_note("meetings", len(meetings), n["meetings"]),
        "documents_note": _left_out_note("documents", len(documents), n["documents"]),
        "statements_note": _left_out_note("statements", len(statements), n["statements"]),
        "downloads": _downloads(package, t.get("row_counts", {})), "dictionary": dictionary_html,
        "data": data, "script": SCRIPT.read_text(encoding="utf-8"),
    }
    page = TEMPLATE.read_text(encoding="utf-8")
    for name, value in slots.items():
        page = page.replace(f"@@{name}@@", value)
    return page


def _left_out_note(table: str, listed: int, total: int) -> str:
    """The 'too large to list' message, naming how to reach the rest; empty when every row is listed."""
    if listed >= total:
        return ""
    return (f'<p class="note">This corpus is too large to list every one of its {total:,} {table} here: the page lists '
            f"the first {listed:,} by id, and its filters search those. Every row is in <code>csv/{table}.csv</code> and "
            f"<code>parquet/{table}.parquet</code>; query them all with <code>{html.escape(QUERY_HINT)}</code>.</p>")


def _options(pairs) -> str:
    return "".join(f'<option value="{html.escape(v)}">{html.escape(label)}</option>' for v, label in pairs)


def _downloads(package: dict, row_counts: dict) -> str:
    """A row per table with its row count and links to its CSV and Parquet files."""
    paths: dict[str, dict[str, str]] = {}
    for r in package["resources"]:
        paths.setdefault(r["name"].removesuffix("_parquet"), {})[r["format"]] = r["path"]
    return "".join(
        f'<tr><td>{html.escape(name)}</td><td>{row_counts.get(name, "")}</td>'
        f'<td><a href="{html.escape(p.get("csv", ""))}">CSV</a></td>'
        f'<td><a href="{html.escape(p.get("parquet", ""))}">Parquet</a></td></tr>' for name, p in paths.items())


def _jsonld(package: dict, citation: dict, t: dict) -> dict:
    """schema.org Dataset metadata, for search engines and catalogues."""
    years = t["years"]
    doc = {
        "@context": "https://schema.org", "@type": "Dataset", "name": package["title"],
        "description": package["description"], "version": package["version"], "datePublished": citation["date"],
        "keywords": package["keywords"], "license": package["licenses"][0].get("path", package["licenses"][0]["name"]),
        "creator": [{"@type": "Organization", "name": a} for a in citation["authors"]],
        "isAccessibleForFree": True,
        "distribution": [{"@type": "DataDownload", "encodingFormat": _media_type(r["format"]), "contentUrl": r["path"],
                          "name": r["name"]} for r in package["resources"]],
    }
    if years:
        doc["temporalCoverage"] = f"{years[0]}/{years[-1]}"
    if citation.get("repository"):
        doc["url"] = citation["repository"]
    return doc


def _media_type(fmt: str) -> str:
    return {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}.get(fmt, fmt)


def _timeline_svg(t: dict) -> str:
    """Meetings on a time axis (a dot per meeting), with a bar per meeting stacked by statement theme.

    The SVG scales to its container's width (viewBox, no fixed width), so it fits a phone."""
    meetings = [m for m in t["meetings"] if m[3]]
    if not meetings:
        return '<svg id="timeline-chart" role="img" viewBox="0 0 900 60"><text x="10" y="30">No dated meetings.</text></svg>'
    first, last = min(m[3] for m in meetings), max(m[3] for m in meetings)
    width, height, left, right, base = 900, 260, 30, 20, 200
    span = last - first + 1
    step = max(1, -(-span // 12))  # at most a dozen year labels, so they stay readable when the chart shrinks

    def x(date, year: int) -> float:
        """Horizontal position of a day (or the middle of a year) on the time axis."""
        month = date.month if date else 7
        return left + (year - first + (month - 1) / 12) / span * (width - left - right)

    top = max([sum(c.values()) for c in t["counts"].values()] + [1])
    parts = [f'<svg id="timeline-chart" role="img" aria-label="Timeline of meetings and their statements by theme" '
             f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMidYMid meet">',
             f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="#444"/>']
    for year in range(first, last + 1):
        px = x(None, year) - (width - left - right) / span / 2
        parts.append(f'<line x1="{px:.1f}" y1="{base}" x2="{px:.1f}" y2="{base + 5}" stroke="#444"/>')
        if (year - first) % step == 0:
            parts.append(f'<text x="{px:.1f}" y="{base + 22}" font-size="16" text-anchor="middle">{year}</text>')
    for m in meetings:
        px = x(m[4], m[3])
        label = html.escape(m[1])
        fill = "#333" if m[2] == "heads_of_state" else "#999"
        parts.append(f'<circle class="meeting" cx="{px:.1f}" cy="{base + 40}" r="6" fill="{fill}"><title>{label}</title></circle>')
        y = base
        for th, n in sorted(t["counts"].get(m[0], {}).items()):
            h = n / top * (base - 20)
            y -= h
            parts.append(f'<rect class="bar" x="{px - 4:.1f}" y="{y:.1f}" width="8" height="{h:.1f}" '
                         f'fill="{t["colour"].get(th, "#ccc")}"><title>{label}: {n} statement(s) on {html.escape(th)}</title></rect>')
    parts.append("</svg>")
    return "\n".join(parts)
