"""One measured build, run in its own process: prints its stage timings as JSON."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from pipeline.build import build


def main() -> None:
    """Build once with the given raw folder, output, workers and cache setting."""
    raw, out, workers, cache = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "cache"
    start = time.perf_counter()
    result = build(raw, out, workers=workers, use_cache=cache)
    print(json.dumps({"seconds": round(time.perf_counter() - start, 3), "stages": result.seconds,
                      "up_to_date": result.up_to_date, "rows": result.counts}))


if __name__ == "__main__":
    main()
