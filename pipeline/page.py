"""The offline data page: one self-contained HTML file (no server, no network) describing a build.

A timeline chart of meetings with their statements by theme (inline SVG), the data dictionary,
and a searchable table of statements, each with its source passage. `#q=WORD` in the address
pre-fills the search, so a page can be opened already filtered.
"""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"]
CONTEXT_CHARS = 160


def render_page(out_dir: Path, dictionary_html: str) -> str:
    """The HTML page for a built folder."""
    out_dir = Path(out_dir)
    t = {name: _rows(out_dir, name) for name in ("meetings", "documents", "statements", "themes", "statement_themes", "sources")}
    package = json.loads((out_dir / "datapackage.json").read_text(encoding="utf-8"))
    texts = {s["source_id"]: (out_dir / "texts" / f"{s['source_id']}.txt").read_text(encoding="utf-8") for s in t["sources"]}
    themes_of: dict[str, list[str]] = {}
    for link in t["statement_themes"]:
        themes_of.setdefault(link["statement_id"], []).append(link["theme_id"])
    colour = {th["theme_id"]: PALETTE[i % len(PALETTE)] for i, th in enumerate(t["themes"])}
    meetings = {m["meeting_id"]: m for m in t["meetings"]}
    documents = {d["document_id"]: d for d in t["documents"]}
    rows = []
    for s in t["statements"]:
        text = texts[s["source_id"]]
        a, b = int(s["char_start"]), int(s["char_end"])
        before, after = text[max(0, a - CONTEXT_CHARS):a], text[b:b + CONTEXT_CHARS]
        meeting = meetings.get(s["meeting_id"], {}).get("label", "")
        document = documents.get(s["document_id"], {}).get("title", "")
        tags = "".join(f'<span class="tag" style="background:{colour[th]}">{html.escape(th)}</span>'
                       for th in sorted(themes_of.get(s["statement_id"], [])))
        rows.append(
            f'<tr><td>{html.escape(s["kind"])}</td><td>{html.escape(s["text"])}'
            f'<details><summary>source passage ({html.escape(s["source_id"])}, chars {a}–{b})</summary>'
            f'<p class="passage">…{html.escape(before)}<mark>{html.escape(text[a:b])}</mark>{html.escape(after)}…</p>'
            f'</details></td><td>{html.escape(s["speaker"])}</td><td>{html.escape(meeting)}</td>'
            f'<td>{html.escape(document)}</td><td>{tags}</td></tr>')
    counts = ", ".join(f"{len(t[n])} {n}" for n in ("meetings", "documents", "statements"))
    legend = "".join(f'<span class="tag" style="background:{colour[th["theme_id"]]}">{html.escape(th["label"])}</span>'
                     for th in t["themes"])
    return PAGE.format(
        title=html.escape(package["title"]), description=html.escape(package["description"]),
        version=html.escape(package["version"]), created=html.escape(package["created"]), counts=counts,
        chart=_timeline_svg(t, themes_of, colour), legend=legend, n_rows=len(rows), rows="\n".join(rows),
        dictionary=dictionary_html, script=SCRIPT)


def _rows(out_dir: Path, table: str) -> list[dict]:
    with open(out_dir / "csv" / f"{table}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _timeline_svg(t: dict, themes_of: dict, colour: dict) -> str:
    """Meetings on a time axis (a dot per meeting), with a bar per meeting stacked by statement theme."""
    meetings = [m for m in t["meetings"] if m["year"]]
    if not meetings:
        return '<svg id="timeline-chart" role="img" width="900" height="60"><text x="10" y="30">No dated meetings.</text></svg>'
    first, last = min(int(m["year"]) for m in meetings), max(int(m["year"]) for m in meetings)
    width, height, left, right, base = 900, 260, 50, 20, 200
    span = max(last - first, 1)

    def x(m):
        """Horizontal position of a meeting on the time axis."""
        day = m["start_date"] or f"{m['year']}-07-01"
        year, month = int(day[:4]), int(day[5:7])
        return left + (year - first + (month - 1) / 12) / (span + 1) * (width - left - right)

    counts: dict[str, dict[str, int]] = {}
    for s in t["statements"]:
        if s["meeting_id"]:
            for th in themes_of.get(s["statement_id"], []) or ["(no theme)"]:
                counts.setdefault(s["meeting_id"], {}).setdefault(th, 0)
                counts[s["meeting_id"]][th] += 1
    top = max([sum(c.values()) for c in counts.values()] + [1])
    parts = [f'<svg id="timeline-chart" role="img" aria-label="Timeline of meetings and their statements by theme" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="#444"/>']
    for year in range(first, last + 1):
        px = left + (year - first) / (span + 1) * (width - left - right)
        parts.append(f'<line x1="{px:.1f}" y1="{base}" x2="{px:.1f}" y2="{base + 5}" stroke="#444"/>'
                     f'<text x="{px:.1f}" y="{base + 18}" font-size="10" text-anchor="middle">{year}</text>')
    for m in sorted(meetings, key=lambda m: (m["start_date"] or m["year"], m["meeting_id"])):
        px = x(m)
        label = html.escape(m["label"])
        fill = "#333" if m["body"] == "heads_of_state" else "#999"
        parts.append(f'<circle class="meeting" cx="{px:.1f}" cy="{base + 30}" r="5" fill="{fill}"><title>{label}</title></circle>')
        y = base
        for th, n in sorted(counts.get(m["meeting_id"], {}).items()):
            h = n / top * (base - 20)
            y -= h
            parts.append(f'<rect class="bar" x="{px - 4:.1f}" y="{y:.1f}" width="8" height="{h:.1f}" '
                         f'fill="{colour.get(th, "#ccc")}"><title>{label}: {n} statement(s) on {html.escape(th)}</title></rect>')
    parts.append("</svg>")
    return "\n".join(parts)


SCRIPT = """
const box = document.getElementById('search');
const rows = Array.from(document.querySelectorAll('#statements tbody tr'));
const shown = document.getElementById('shown');
function filter() {
  const words = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
  let n = 0;
  for (const row of rows) {
    const hit = words.every(w => row.textContent.toLowerCase().includes(w));
    row.hidden = !hit;
    if (hit) n++;
  }
  shown.textContent = n;
}
box.addEventListener('input', filter);
const q = new URLSearchParams(location.hash.slice(1)).get('q');
if (q) { box.value = q; }
filter();
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9em; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 0.4em; text-align: left; vertical-align: top; }}
.tag {{ display: inline-block; color: #fff; border-radius: 3px; padding: 0 0.4em; margin: 0.1em; font-size: 0.85em; }}
.passage {{ color: #555; font-size: 0.9em; white-space: pre-wrap; }}
mark {{ background: #fff3a0; }}
#search {{ font-size: 1em; padding: 0.4em; width: 60%; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p>{description}</p>
<p>Version {version}, built {created}: {counts}. Every value traces back to its source text and
character span (see the <code>evidence</code> table); open <code>sco_statements.duckdb</code> in DuckDB
or read the CSV and Parquet files.</p>

<h2>Timeline</h2>
<p>Each dot is a meeting (dark: heads of state, grey: heads of government); the bar above it counts
its statements by theme.</p>
{chart}
<p>{legend}</p>

<h2>Statements</h2>
<p><input id="search" type="search" placeholder="Search statements, speakers, meetings, themes"
 aria-label="Search statements"> <span id="shown">{n_rows}</span> of {n_rows} shown</p>
<table id="statements">
<thead><tr><th>kind</th><th>statement</th><th>speaker</th><th>meeting</th><th>document</th><th>themes</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>

<h2 id="dictionary">Data dictionary</h2>
{dictionary}
<script>{script}</script>
</body>
</html>
"""
