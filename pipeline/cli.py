"""Command line: `python -m pipeline build|validate`. Problems are rendered here, once."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pipeline.runtime import PUBLISHED, Terminated, handle_stop_signals, signalled_stop

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # as a shell reports a process ended by SIGINT, SIGTERM
MAX_SHOWN = 50


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the command, print problems one per line, return the exit code."""
    from pipeline.paths import BUILD_DIR, RAW_DIR

    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="Build and check the SCO statements dataset.",
        epilog="Exit codes: 0 success, 1 invalid input or output, 2 usage error, 130 Ctrl-C, 143 SIGTERM.\n"
               "Example: python -m pipeline build --raw raw --out build",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    verbosity.add_argument("-v", "--verbose", action="store_true", help="print every warning")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    b = sub.add_parser("build", help="build the dataset from a folder of texts",
                       description="Build every table from the .txt sources in --raw into --out.",
                       epilog="Example: python -m pipeline build --raw raw --out build",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("--raw", type=Path, default=RAW_DIR, help="folder of UTF-8 .txt sources (default: raw/)")
    b.add_argument("--out", type=Path, default=BUILD_DIR, help="output folder (default: build/)")
    b.add_argument("--workers", type=_positive, default=None, help="processes for extraction and the frictionless gate (default: number of cores)")
    b.add_argument("--no-cache", action="store_true", help="re-extract every source and rebuild even if up to date")
    v = sub.add_parser("validate", help="re-validate a built folder",
                       description="Check a built folder: checksums, schemas, keys, spans, frictionless, DuckDB.",
                       epilog="Example: python -m pipeline validate --out build",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    v.add_argument("--out", type=Path, default=BUILD_DIR, help="built folder to check (default: build/)")
    d = sub.add_parser("datapackage", help="write the repository's root datapackage.json from schemas/",
                       description="Regenerate datapackage.json at the repository root (it describes build/).",
                       epilog="Example: python -m pipeline datapackage",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    g = sub.add_parser("docs", help="regenerate docs/CODEBOOK.md and docs/DATA_DICTIONARY.md",
                       description="Write the codebook (from reference/) and data dictionary (from schemas/).",
                       epilog="Example: python -m pipeline docs",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    df = sub.add_parser("diff", help="compare two built folders table by table",
                        description="Rows added, removed and changed per table, by primary key.",
                        epilog="Example: python -m pipeline diff old-build build",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    df.add_argument("old", type=Path, help="the earlier built folder")
    df.add_argument("new", type=Path, help="the later built folder")
    r = sub.add_parser("release", help="bundle a validated build into dist/<name>-<version>.zip",
                       description="Validate --out and write the release bundle into --dist.",
                       epilog="Example: python -m pipeline release --out build --dist dist",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("--out", type=Path, default=BUILD_DIR, help="built folder to release (default: build/)")
    r.add_argument("--dist", type=Path, default=BUILD_DIR.parent / "dist", help="where the zip goes (default: dist/)")
    q = sub.add_parser("query", help="run DuckDB SQL against a built folder's database",
                       description="Run one SQL query against --out's sco_statements.duckdb (read only) and print the rows.",
                       epilog='Example: python -m pipeline query "SELECT theme_id, count(*) FROM statement_themes GROUP BY 1" --format csv',
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    q.add_argument("sql", help="the query")
    q.add_argument("--out", type=Path, default=BUILD_DIR, help="built folder (default: build/)")
    q.add_argument("--format", choices=("table", "csv", "json"), default="table", help="how rows are printed (default: table)")
    for p in (b, v, d, g, df, r, q):
        p.add_argument("--debug", action="store_true", help="show tracebacks", default=argparse.SUPPRESS)
        p.add_argument("-q", "--quiet", action="store_true", help="print errors only", default=argparse.SUPPRESS)
        p.add_argument("-v", "--verbose", action="store_true", help="print every warning", default=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    handle_stop_signals()  # SIGTERM ends the build as Ctrl-C does: cleanly, one line
    try:
        return _run(args)
    except (KeyboardInterrupt, Terminated) as stop:
        if args.debug:
            raise
        return _stopped(args, stop)
    except Exception as err:  # the CLI boundary: one line, no traceback unless --debug
        from pipeline.errors import PipelineError

        if args.debug:
            raise
        stop = signalled_stop()
        if stop is not None:  # the stop came out of a library as its own error ("Query interrupted")
            return _stopped(args, stop)
        if isinstance(err, PipelineError):
            _print_issues(err.issues, f"{args.command} failed at {err.stage}")
            return EXIT_INVALID
        if isinstance(err, OSError) and err.filename:  # a full disk, a folder one may not write: name the file
            print(f"error: {err.filename}: {err.strerror} (run with --debug for a traceback)", file=sys.stderr)
            return EXIT_INVALID
        print(f"error: {type(err).__name__}: {err} (run with --debug for a traceback)", file=sys.stderr)
        return EXIT_INVALID


def _run(args) -> int:
    if args.command == "datapackage":
        from pipeline.paths import ROOT_DATAPACKAGE
        from pipeline.publish import json_bytes, root_datapackage

        ROOT_DATAPACKAGE.write_bytes(json_bytes(root_datapackage()))
        if not args.quiet:
            print(f"wrote {ROOT_DATAPACKAGE}")
        return EXIT_OK
    if args.command == "release":
        from pipeline.release import make_release

        path = make_release(args.out, args.dist)
        if not args.quiet:
            print(f"wrote {path}")
        return EXIT_OK
    if args.command == "diff":
        from pipeline.diff import diff_builds, render_diff

        for folder in (args.old, args.new):
            if not (folder / "datapackage.json").is_file():
                print(f"error: {folder}: not a built folder (no datapackage.json)", file=sys.stderr)
                return EXIT_INVALID
        print(render_diff(diff_builds(args.old, args.new)))
        return EXIT_OK
    if args.command == "docs":
        from pipeline.docs import render_docs
        from pipeline.reference import load_reference

        for path, text in render_docs(load_reference()).items():
            path.write_text(text, encoding="utf-8")
            if not args.quiet:
                print(f"wrote {path}")
        return EXIT_OK
    if args.command == "query":
        return _query(args)
    if args.command == "build":
        from pipeline.build import build

        terminal = sys.stderr.isatty()
        show = not args.quiet and (args.verbose or terminal)
        result = build(args.raw, args.out, progress=StageProgress(bars=terminal) if show else None,
                       workers=args.workers, use_cache=not args.no_cache)
        if result.up_to_date:
            if not args.quiet:
                print(f"{result.out_dir} is up to date")
            return EXIT_OK
        if not args.quiet:
            counts = ", ".join(f"{n} {t}" for t, n in result.counts.items())
            print(f"built {result.out_dir}: {counts}")
            shown = result.warnings if args.verbose else result.warnings[:10]
            for w in shown:
                print(f"warning: {w.render()}", file=sys.stderr)
            if len(shown) < len(result.warnings):
                print(f"warning: ... and {len(result.warnings) - len(shown)} more (see report.json, or -v)",
                      file=sys.stderr)
        return EXIT_OK
    from pipeline.reference import load_reference
    from pipeline.validate import validate_folder

    issues = validate_folder(args.out, set(load_reference().rules))
    if issues:
        _print_issues(issues, f"{args.out} is invalid")
        return EXIT_INVALID
    if not args.quiet:
        print(f"{args.out}: valid")
    return EXIT_OK


def _query(args) -> int:
    """Print a query's rows: a table, CSV (header, RFC 4180) or JSON (a list of objects)."""
    import csv
    import json

    import duckdb

    from pipeline.paths import DUCKDB_NAME

    path = args.out / DUCKDB_NAME
    if not path.is_file():
        print(f"error: {path}: no database (build first: python -m pipeline build)", file=sys.stderr)
        return EXIT_INVALID
    con = duckdb.connect(str(path), read_only=True)
    try:
        try:
            rel = con.sql(args.sql)
        except duckdb.Error as err:
            print(f"error: query failed: {str(err).splitlines()[0]}", file=sys.stderr)
            return EXIT_INVALID
        if rel is None:
            return EXIT_OK
        if args.format == "table":
            rel.show(max_rows=10_000, max_width=200)
            return EXIT_OK
        columns, rows = rel.columns, rel.fetchall()
    finally:
        con.close()
    if args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
    else:
        print(json.dumps([dict(zip(columns, row)) for row in rows], ensure_ascii=False, indent=1, default=str))
    return EXIT_OK


def _version() -> str:
    from pipeline import __version__

    return __version__


def _stopped(args, stop: BaseException) -> int:
    what = "Ctrl-C" if isinstance(stop, KeyboardInterrupt) else "SIGTERM"
    if PUBLISHED:  # the stop came while the build was tidying up, after its new folder was in place
        print(f"error: {args.command} stopped by {what} after it had published {PUBLISHED[-1]}", file=sys.stderr)
    else:
        kept = f"; {args.out} is as it was" if args.command == "build" else ""
        print(f"error: {args.command} stopped by {what}: nothing was published{kept}", file=sys.stderr)
    return EXIT_INTERRUPTED if isinstance(stop, KeyboardInterrupt) else EXIT_TERMINATED


def _positive(text: str) -> int:
    """An argument that must be a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


class StageProgress:
    """A line as each stage ends and, with `bars` (a terminal), rich progress bars while the long ones run
    (sources extracted, tables written, checks done). A forked child draws its own bars: a bar belongs
    to the process that started it."""

    def __init__(self, bars: bool):
        self.bars = bars
        self.live = None  # (pid, rich Progress, {label: task id})

    def __call__(self, stage: str, message: str) -> None:
        self._stop()
        print(f"{stage:>8}: {message}", file=sys.stderr, flush=True)

    def bar(self, label: str, done: int, total: int) -> None:
        if not self.bars:
            return
        if self.live is None or self.live[0] != os.getpid():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            progress = Progress(TextColumn("{task.description:>32}"), BarColumn(), MofNCompleteColumn(),
                                TimeRemainingColumn(), console=Console(file=sys.stderr), transient=True)
            progress.start()
            self.live = (os.getpid(), progress, {})
        _, progress, tasks = self.live
        if label not in tasks:
            tasks[label] = progress.add_task(label, total=total)
        progress.update(tasks[label], completed=done)
        if all(t.finished for t in progress.tasks):
            self._stop()

    def _stop(self) -> None:
        if self.live is not None and self.live[0] == os.getpid():
            self.live[1].stop()
        self.live = None


def _print_issues(issues, headline: str) -> None:
    print(f"error: {headline}: {len(issues)} problem(s)", file=sys.stderr)
    for issue in issues[:MAX_SHOWN]:
        print(f"  {issue.render()}", file=sys.stderr)
    if len(issues) > MAX_SHOWN:
        print(f"  ... and {len(issues) - MAX_SHOWN} more", file=sys.stderr)
