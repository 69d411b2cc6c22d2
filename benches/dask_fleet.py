#!/usr/bin/env python3
"""The default backtest of synthetic fleets, in one process and on a Dask cluster, side by side.

For each fleet size N, generates ``vader dataset synth --meters N`` (into a temporary folder
unless --keep names one), then in the same sitting:

- the single-process run: ``vader.backtest(folder)`` (vader's own threads, two on two cores);
- the distributed run: ``vader.distributed.backtest(folder, client)`` on a ``LocalCluster`` of
  two worker processes of one thread each (one rayon thread each too), on 127.0.0.1;

checks that both give the same leaderboard, comparisons and forecasts, bit for bit, and prints
wall times and the overhead of the distributed run. Run it with the Python of the package's
environment (crates/python/README.md):

    python benches/dask_fleet.py --meters 12,120 --vader ~/.cache/vader/target/debug/vader \\
        --csv benches/dask-fleet.csv
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meters", default="12,120", help="fleet sizes, comma-separated (12 = the refinery)")
    parser.add_argument("--vader", default=str(Path.home() / ".cache/vader/target/debug/vader"),
                        help="the vader command line, to generate the fleets")
    parser.add_argument("--csv", help="append one row per fleet to this CSV file")
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes (one thread each)")
    args = parser.parse_args()

    import vader
    import vader.distributed
    from dask.distributed import Client, LocalCluster

    sizes = [int(n) for n in args.meters.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="vader-fleet-") as scratch:
        for n in sizes:
            folder = Path(scratch) / f"fleet-{n}"
            subprocess.run([args.vader, "dataset", "synth", "--meters", str(n), "--out", folder],
                           check=True, capture_output=True)
            started = time.perf_counter()
            single = vader.backtest(folder)
            single_s = time.perf_counter() - started

            cluster_started = time.perf_counter()
            cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None,
                                   env={"RAYON_NUM_THREADS": "1"})
            client = Client(cluster)
            cluster_s = time.perf_counter() - cluster_started
            started = time.perf_counter()
            spread = vader.distributed.backtest(folder, client)
            dask_s = time.perf_counter() - started
            client.close()
            cluster.close()

            same = (spread.forecasts.equals(single.forecasts) and spread.leaderboard.equals(single.leaderboard)
                    and spread.comparisons.equals(single.comparisons) and spread.summary == single.summary)
            row = {"meters": n, "gas_meters": len(single.summary["run"]["meters"]),
                   "single_s": round(single_s, 1), "dask_s": round(dask_s, 1),
                   "overhead": round(dask_s / single_s, 3), "cluster_start_s": round(cluster_s, 1),
                   "same_bits": same}
            rows.append(row)
            print(f"{n} meters ({row['gas_meters']} gas): single {single_s:.1f} s, dask {dask_s:.1f} s "
                  f"({row['overhead']:.3f}x), cluster start {cluster_s:.1f} s, same bits: {same}", flush=True)
            if not same:
                print("the distributed run differs from the single-process run", file=sys.stderr)
                return 1
    if args.csv:
        path = Path(args.csv)
        new = not path.exists()
        with path.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            if new:
                writer.writeheader()
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("CARGO_TARGET_DIR", str(Path.home() / ".cache/vader/target"))
    sys.exit(main())
