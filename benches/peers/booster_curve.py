"""The booster's scale curve: vader's trees against LightGBM's, side by side, per tree.

Both boosters get the same rows (written once to a raw file), the same settings (squared loss,
31 leaves, 20 rows per leaf, 255 bins, learning rate 0.05, no L2, no sampling, no early
stopping) and the same thread count. The time of one tree is the marginal cost
(time of K2 trees - time of K1 trees) / (K2 - K1), so binning and setup, which both do once,
are left out on both sides; each figure is the best of `--repeat` runs. Accuracy is the MAE on
held-out rows from the same generator after K2 trees.

    benches/peers/.venv-independent/bin/python benches/peers/booster_curve.py \
        [--rows 1000,10000,100000,1000000] [--threads 1,2] [--out FILE.md] \
        [--save-reference FILE | --check FILE]

`--check FILE` fails (exit status 1) when a ratio vader / LightGBM is worse than the reference's
by more than its `tolerance` (relative; the run-to-run noise measured on this machine), or when
vader's MAE is more than 1 % above LightGBM's; `--save-reference FILE` writes the run's figures
with `--tolerance`.

The vader side is `crates/models/examples/booster_curve.rs`, built in release by this script
(`cargo build --release -p vader-models --example booster_curve`; only the model crate and its
light dependencies, a minute or two cold).
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
FEATURES = 25
SETTINGS = dict(
    objective="regression",
    num_leaves=31,
    min_data_in_leaf=20,
    min_sum_hessian_in_leaf=0.0,
    lambda_l2=0.0,
    learning_rate=0.05,
    max_bin=255,
    feature_fraction=1.0,
    bagging_fraction=1.0,
    bagging_freq=0,
    deterministic=True,
    verbose=-1,
)


def rows(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` rows shaped like a meter's feature table: smooth weather-like columns, integer
    calendar columns, lagged-load columns correlated with the target, 3 % missing cells."""
    rng = np.random.default_rng(seed)
    x = np.empty((n, FEATURES))
    temp = rng.normal(10.0, 7.0, n)
    x[:, 0] = temp
    x[:, 1] = temp - np.abs(rng.normal(4.0, 2.0, n))
    x[:, 2] = temp + np.abs(rng.normal(4.0, 2.0, n))
    x[:, 3] = np.maximum(15.0 - temp, 0.0)
    x[:, 4] = rng.integers(0, 7, n)  # weekday
    x[:, 5] = rng.integers(1, 13, n)  # month
    x[:, 6] = rng.random(n) < 0.03  # holiday
    level = 100.0 + 3.0 * x[:, 3] - 8.0 * (x[:, 4] >= 5) - 20.0 * x[:, 6]
    y = level + 5.0 * np.sin(x[:, 5] / 12.0 * 2.0 * np.pi) + rng.normal(0.0, 4.0, n)
    for j in range(7, 15):  # lags and rolling means: the target seen through noise
        x[:, j] = y + rng.normal(0.0, 3.0 + j, n)
    x[:, 15:] = rng.normal(0.0, 1.0, (n, FEATURES - 15))  # columns that carry nothing
    y = y + 2.0 * np.tanh(x[:, 15]) * (x[:, 4] < 5)
    missing = rng.random((n, FEATURES)) < 0.03
    missing[:, :7] = False
    x[missing] = np.nan
    return x, y


def write(path: Path, train: tuple, test: tuple) -> None:
    """Header (train rows, test rows, features as u64), then train x, train y, test x, test y,
    little-endian f64, row-major."""
    (xt, yt), (xv, yv) = train, test
    with open(path, "wb") as f:
        f.write(struct.pack("<3Q", len(yt), len(yv), FEATURES))
        for a in (xt, yt, xv, yv):
            f.write(np.ascontiguousarray(a, dtype="<f8").tobytes())


def lightgbm_side(train, test, threads: int, trees: tuple[int, int], repeat: int) -> dict:
    (xt, yt), (xv, yv) = train, test
    params = dict(SETTINGS, num_threads=threads)
    data = lgb.Dataset(xt, yt, params=params, free_raw_data=False).construct()
    best = {}
    for k in trees:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            model = lgb.train(params, data, num_boost_round=k)
            times.append(time.perf_counter() - start)
        best[k] = min(times)
    mae = float(np.mean(np.abs(model.predict(xv, num_threads=threads) - yv)))
    return dict(per_tree=(best[trees[1]] - best[trees[0]]) / (trees[1] - trees[0]), mae=mae)


def vader_side(exe: Path, data: Path, threads: int, trees: tuple[int, int], repeat: int) -> dict:
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    out = subprocess.run(
        [str(exe), str(data), f"{trees[0]},{trees[1]}", str(repeat)],
        check=True, capture_output=True, text=True, env=env,
    )
    return json.loads(out.stdout)


def build() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    subprocess.run(
        ["cargo", "build", "--release", "-p", "vader-models", "--example", "booster_curve"],
        check=True, cwd=ROOT,
    )
    return target / "release" / "examples" / "booster_curve"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1000,10000,100000,1000000")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, help="also write the table (Markdown) here")
    parser.add_argument("--json", type=Path, help="also write the figures (JSON) here")
    parser.add_argument("--check", type=Path, help="fail when a ratio is worse than this reference's")
    parser.add_argument("--save-reference", type=Path, help="write this run's ratios as a reference")
    parser.add_argument("--tolerance", type=float, default=0.5,
                        help="with --save-reference: relative noise allowed on a ratio (default 0.5)")
    args = parser.parse_args()
    exe = build()
    lines = [
        "| rows | threads | LightGBM ms/tree | vader ms/tree | vader / LightGBM | LightGBM MAE | vader MAE | MAE gap |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(v) for v in args.rows.split(",")):
            train, test = rows(n, seed=n), rows(min(max(n // 4, 2000), 100_000), seed=n + 1)
            path = Path(tmp) / f"rows-{n}.bin"
            write(path, train, test)
            trees = (20, 120) if n <= 100_000 else (10, 40)
            for threads in (int(t) for t in args.threads.split(",")):
                lg = lightgbm_side(train, test, threads, trees, args.repeat)
                va = vader_side(exe, path, threads, trees, args.repeat)
                ratio = va["per_tree"] / lg["per_tree"]
                gap = va["mae"] / lg["mae"] - 1.0
                figures.append(dict(rows=n, threads=threads, lightgbm=lg, vader=va, ratio=ratio, mae_gap=gap))
                line = (
                    f"| {n:,} | {threads} | {lg['per_tree'] * 1e3:.3f} | {va['per_tree'] * 1e3:.3f} | "
                    f"{ratio:.2f} | {lg['mae']:.4f} | {va['mae']:.4f} | {gap:+.2%} |"
                )
                lines.append(line)
                print(line, flush=True)
    table = "\n".join(lines)
    print("\n" + table)
    if args.out:
        args.out.write_text(table + "\n")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    if args.save_reference:
        reference = dict(
            tolerance=args.tolerance,
            mae_gap_at_most=0.01,
            ratios={f"{f['rows']}x{f['threads']}": round(f["ratio"], 4) for f in figures},
        )
        args.save_reference.write_text(json.dumps(reference, indent=2) + "\n")
        print(f"wrote reference ratios to {args.save_reference}")
    if args.check:
        return check(figures, json.loads(args.check.read_text()), args.check)
    return 0


def check(figures: list[dict], reference: dict, path: Path) -> int:
    """Exit status 1 when a ratio got worse than the reference's beyond its tolerance, or vader's
    MAE is more than `mae_gap_at_most` above LightGBM's."""
    failures = []
    for f in figures:
        key = f"{f['rows']}x{f['threads']}"
        if f["mae_gap"] > reference["mae_gap_at_most"]:
            failures.append(f"{key}: vader's MAE {f['mae_gap']:+.2%} against LightGBM's")
        ref = reference["ratios"].get(key)
        if ref is None:
            continue
        limit = ref * (1.0 + reference["tolerance"])
        if f["ratio"] > limit:
            failures.append(f"{key}: vader / LightGBM {f['ratio']:.2f}, reference {ref:.2f} (limit {limit:.2f})")
    for line in failures:
        print(f"WORSE: {line}")
    if failures:
        print(f"booster check failed: {len(failures)} figure(s) worse than {path}")
        return 1
    print(f"booster check passed: {len(figures)} ratio(s) within the tolerance of {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
