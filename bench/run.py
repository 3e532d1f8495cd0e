"""`make bench`: build synthetic corpora of several sizes and write build/bench/report.json and report.md.

Sizes come from BENCH_SIZES (MB, comma-separated; default "10,100"); the smallest is built
BENCH_REPEAT times (default 3) with 1 and with 2 workers, in turns, and each setting's median run is
reported (with all its runs' times). The corpus is read once before each measured build (the build
then reads it from the page cache, as a rebuild would). Each measured build runs in
a fresh process; peak RSS is the largest resident size of any one process of the build (the build,
its extraction child, workers and gate processes), and `peak_rss_sum_mb` the largest sum of them
all at one moment (sampled; pages a forked process shares with its parent count in both).
Earlier outputs are moved aside, not deleted, until the benchmark ends (see `_set_aside`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.generate import generate
from pipeline.paths import BUILD_DIR, ROOT

BENCH = BUILD_DIR / "bench"
TRASH = BENCH / ".trash"  # earlier outputs, deleted once every run is over


def measure(raw: Path, out: Path, workers: int, cache: bool) -> dict:
    """Run one build in a child process; its wall time, peak RSS (MB) and stage timings."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bench.one", str(raw), str(out), str(workers),
                             "cache" if cache else "nocache"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    tree_peak, done = [0], threading.Event()
    sampler = threading.Thread(target=_sample_tree, args=(proc.pid, done, tree_peak), daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    output = proc.stdout.read()
    if status != 0:
        raise SystemExit(f"bench build failed ({raw}, workers={workers})")
    data = json.loads(output.strip().splitlines()[-1])
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "peak_rss_sum_mb": round(tree_peak[0] / 2**20, 1), "stages": data["stages"],
            "up_to_date": data["up_to_date"], "rows": data["rows"]}


def _sample_tree(root: int, done: threading.Event, peak: list[int]) -> None:
    """Every 0.1 s until `done`, the resident bytes of process `root` and all its descendants, summed (Linux /proc)."""
    page = os.sysconf("SC_PAGE_SIZE")
    while not done.wait(0.1):
        total, todo = 0, [root]
        while todo:
            pid = todo.pop()
            try:
                total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
            except (OSError, ValueError, IndexError):
                continue  # ended meanwhile, or no /proc here
        peak[0] = max(peak[0], total)


def measure_page(build: Path) -> dict:
    """Render the data page of a build (as a release would) and open it in headless Chromium: its size,
    the seconds each took, and a screenshot at a phone's width (build/bench/page-phone.png). Fails the
    benchmark if the page passes 10 MB or Chromium cannot render it."""
    import resource

    from pipeline.page import PAGE_LIMIT, render_page
    from pipeline.release import _citation_meta

    package = json.loads((build / "datapackage.json").read_text(encoding="utf-8"))
    start = time.perf_counter()
    html = render_page(build, "", _citation_meta(package))
    render_seconds = time.perf_counter() - start
    page = BENCH / "page" / "index.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(html, encoding="utf-8")
    size = page.stat().st_size
    if size > PAGE_LIMIT:
        raise SystemExit(f"the data page is {size} bytes, over its limit of {PAGE_LIMIT}")
    result = {"bytes": size, "render_seconds": round(render_seconds, 2),
              "render_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return {**result, "chromium": "not installed"}
    for name, size_arg, extra in [("dom", "1200,900", ["--dump-dom"]),
                                  ("phone", "390,1600", [f"--screenshot={BENCH / 'page-phone.png'}"])]:
        start = time.perf_counter()
        done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                               "--disable-background-networking", "--disable-component-update", "--disable-sync",
                               f"--user-data-dir={BENCH / 'page' / f'.profile-{name}'}", f"--window-size={size_arg}",
                               *extra, page.as_uri()], capture_output=True, text=True, timeout=120)
        result[f"chromium_{name}_seconds"] = round(time.perf_counter() - start, 2)
        if done.returncode != 0 or (name == "dom" and '<span id="shown">' not in done.stdout):
            raise SystemExit(f"Chromium did not render the data page ({name}): {done.stderr[-300:]}")
    return result


def _read_through(folder: Path) -> None:
    """Read every file of a corpus once, unmeasured, so that the build reads it from the page cache:
    this machine's disk is slow and uneven (100 MB read cold: ingest 1.6 s -> 3.5 s, and 7.5 s once
    the system had evicted it), and the benchmark measures the pipeline, not the disk."""
    for path in sorted(folder.iterdir()):
        path.read_bytes()


def _set_aside(folder: Path) -> None:
    """Move a folder out of the way, into TRASH, rather than delete it now. Deleting a build's thousands
    of files just before the next run made that run pay for it: ext4 without a journal (this machine's
    file system) will not reuse an inode freed in the last seconds to minutes, and skips such inodes one
    by one for every file it creates (kernel `recently_deleted`, seen with `perf`): 0.6 ms of CPU per new
    file instead of 0.02 ms, some 1.2 s for the 2,000 texts of a 10 MB build, which a one-worker build
    hides on its idle core and a two-worker build cannot."""
    if folder.exists():
        TRASH.mkdir(parents=True, exist_ok=True)
        os.replace(folder, TRASH / f"{folder.name}-{len(list(TRASH.iterdir()))}")


def _median_run(results: list[dict]) -> dict:
    """The run of median time among repeated ones (the lower middle of an even count), with every
    run's seconds and the largest peaks of them all."""
    ranked = sorted(results, key=lambda r: r["seconds"])
    run = dict(ranked[(len(ranked) - 1) // 2])
    run["all_seconds"] = [r["seconds"] for r in results]
    run["peak_rss_mb"] = max(r["peak_rss_mb"] for r in results)
    run["peak_rss_sum_mb"] = max(r["peak_rss_sum_mb"] for r in results)
    return run


def corpus(mb: int) -> Path:
    """The synthetic corpus of that size, generated once."""
    folder = BENCH / f"corpus-{mb}mb"
    if not (folder / "manifest.csv").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        generate(folder, mb)
    return folder


def main() -> None:
    """Run the planned builds and write the report."""
    sizes = [int(x) for x in os.environ.get("BENCH_SIZES", "10,100").split(",")]
    small, large = min(sizes), max(sizes)
    repeat = max(1, int(os.environ.get("BENCH_REPEAT", "3")))
    # the small corpus with 1 and 2 workers, in turns, `repeat` times: this machine has slow and fast
    # phases, so each setting's median is compared with the other's, measured over the same minutes
    plan = [(small, 1), (small, 2)] * repeat + ([(large, 2)] if large != small else [])
    measured: dict[tuple[int, int], list[dict]] = {}
    for mb, workers in plan:
        # every measured build starts from an empty output folder: replacing an earlier build would
        # add the deletion of its files (seconds for a 100 MB one) to whichever run comes next
        _set_aside(BENCH / "out")
        _read_through(corpus(mb))
        result = measure(corpus(mb), BENCH / "out", workers, cache=False)
        measured.setdefault((mb, workers), []).append(result)
        print(f"{mb} MB, {workers} worker(s): {result['seconds']} s, {result['peak_rss_mb']} MB", flush=True)
    runs = [{"corpus_mb": mb, "workers": workers, **_median_run(results)} for (mb, workers), results in measured.items()]
    full = runs[-1]
    _set_aside(BENCH / "out-cached")
    _set_aside(BENCH / ".out-cached.cache")
    _read_through(corpus(large))
    measure(corpus(large), BENCH / "out-cached", 2, cache=True)  # fills the cache and the up-to-date record
    noop = measure(corpus(large), BENCH / "out-cached", 2, cache=True)
    page = measure_page(BENCH / "out")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pipeline", "--help"], cwd=ROOT, capture_output=True, check=True)
    help_seconds = time.perf_counter() - start
    by = {(r["corpus_mb"], r["workers"]): r for r in runs}
    report = {
        "runs": [{k: r[k] for k in ("corpus_mb", "workers", "seconds", "peak_rss_mb", "peak_rss_sum_mb", "all_seconds")}
                 for r in runs],
        "full_build_seconds": full["seconds"],
        "noop_rebuild_seconds": noop["seconds"],
        "stages": full["stages"],
        "help_seconds": round(help_seconds, 3),
        "rows_at_largest": full["rows"],
        "data_page_at_largest": page,
        "ratios": {
            "speedup_2_workers": round(by[(small, 1)]["seconds"] / by[(small, 2)]["seconds"], 2),
            "large_over_small": round(full["seconds"] / by[(small, 2)]["seconds"], 2),
            "noop_over_full": round(noop["seconds"] / full["seconds"], 3),
        },
    }
    BENCH.mkdir(parents=True, exist_ok=True)
    (BENCH / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    lines = ["# Benchmark", "", f"Machine: {os.cpu_count()} cores. Sizes: {sizes} MB (BENCH_SIZES).", "",
             "| corpus MB | workers | seconds (median) | all runs | peak RSS MB (largest process) | peak RSS MB (all processes) |",
             "|---:|---:|---:|---|---:|---:|"]
    lines += [f"| {r['corpus_mb']} | {r['workers']} | {r['seconds']} | {', '.join(map(str, r['all_seconds']))} | "
              f"{r['peak_rss_mb']} | {r['peak_rss_sum_mb']} |" for r in runs]
    lines += ["", f"Full build ({large} MB, 2 workers): {full['seconds']} s; no-op rebuild: {noop['seconds']} s; "
              f"`--help`: {help_seconds:.2f} s.", "", "Stages of the full build (s): "
              + ", ".join(f"{k} {v}" for k, v in full["stages"].items()) + ".",
              "", "Ratios: " + ", ".join(f"{k} {v}" for k, v in report["ratios"].items()) + ".",
              "", f"Data page of the {large} MB build: " + ", ".join(f"{k} {v}" for k, v in page.items())
              + " (screenshot at a phone's width: page-phone.png)."]
    (BENCH / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.rmtree(TRASH, ignore_errors=True)  # once nothing is measured any more
    print("\n".join(lines))


if __name__ == "__main__":
    main()
