#!/usr/bin/env python3
"""The protocol of `vader backtest` run with Python tools, next to vader's own run.

From the repository root:

    python3 -m venv benches/peers/.venv && benches/peers/.venv/bin/pip install -r benches/peers/requirements.txt
    benches/peers/.venv/bin/python benches/peers/peer_backtest.py

(`python3 benches/peers/peer_backtest.py` does the same: without the venv it creates it with
the two commands above and reruns itself in it. `--no-venv` uses the current interpreter.)

What it does, in this order, one thing at a time (the timings assume a quiet machine):

1. Exports vader's as-of feature rows, `vader features --target gas-day` (the `cargo run --
   features` of the README, run from the built binary), and times it.
2. Runs and times vader on the same protocol: `/usr/bin/time -f "%e %M" vader backtest --models
   ols,gbm --format json --out /tmp/peer-vader`, and reads its JSON leaderboard. The binary is
   `$CARGO_TARGET_DIR/release/vader` if it exists, else `.../debug/vader` (CARGO_TARGET_DIR
   defaults to ~/.cache/vader/target); `--build` runs `cargo build --release` first,
   `--vader-bin` names another binary.
3. Replays the walk-forward in Python, each model in its own process, timed by the parent
   (/usr/bin/time) and with its peak memory from `resource.getrusage(RUSAGE_SELF).ru_maxrss`
   (plus, for each pool process, its ru_maxrss less its RSS at the fork):
   - test period: the last 365 target days of the feature rows (2025-01-01 to 2025-12-31 on
     `datasets/refinery`), as vader's default;
   - per meter, one refit per chunk of 7 consecutive test days starting at the first test day;
     the refit time is the earliest `decision_at` of the chunk's rows; the model is trained on
     every row of that meter whose `actual_known_at` is at or before it and whose actual is
     finite (expanding window, rows in day order), and forecasts the chunk's rows;
   - `sklearn ols`: SimpleImputer(mean) -> VarianceThreshold(0) -> StandardScaler ->
     LinearRegression, which is what vader's `ols` does (crates/models/src/linear.rs: a NaN
     counts as the training mean of its column, columns constant on their finite values are
     left out, features standardized, least squares with an intercept);
   - `lightgbm`: vader's `gbm` defaults (crates/models/src/gbm/mod.rs) with LightGBM: the trees
     learn actual - last_day (a missing last_day is the mean of the finite last_day of the
     training rows, for training and forecasting alike), learning rate 0.05, 31 leaves, at least
     20 rows per leaf, lambda_l2 0, 255 bins; the last floor(20 %) of the training rows (in time
     order) is the early-stopping tail (squared error, patience 50, at most 2000 rounds) and the
     best number of rounds is then refitted on all training rows; bins are computed once on
     all training rows (LightGBM `Dataset.subset`, hence `lgb.train` rather than the
     LGBMRegressor wrapper), as vader does; deterministic, fixed seed;
   - parallelism as vader's: vader replays its (meter, model) jobs on a thread pool (two cores
     here), each fit on one thread; here `--jobs 2` forked processes replay the meters, each
     fit with `--threads 1` (LightGBM num_threads, BLAS threads). `--jobs 1 --threads 2` is
     the other choice: LightGBM's own threads, which on ~700 rows gain little on an idle
     machine and are many times slower when another process keeps a core busy.
4. Scores rows with a finite actual: MAE, WAPE = sum |e| / sum |actual|, and euros with vader's
   gas imbalance at its default prices, |forecast - actual| / 1000 x 35 EUR/MWh x 0.02 (a 2 %
   small adjustment on both sides, crates/backtest/src/cost.rs).
5. Prints one table (plain text, then Markdown for benches/README.md), checks that the Python
   rows are the same rows as vader's (`forecasts.parquet`) and how far the forecasts differ.

Memory is in MB of 2^20 bytes (KiB / 1024, from ru_maxrss and /usr/bin/time's %M).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
VENV = HERE / ".venv"
REQUIREMENTS = HERE / "requirements.txt"

# vader's defaults this script mirrors.
REFIT_DAYS = 7
TEST_DAYS = 365
GAS_PRICE_EUR_PER_MWH = 35.0
SMALL_ADJUSTMENT = 0.02
OFFSET = "last_day"
GBM = dict(
    learning_rate=0.05,
    max_rounds=2000,
    early_stopping_rounds=50,
    validation_fraction=0.2,
    num_leaves=31,
    min_data_in_leaf=20,
    lambda_l2=0.0,
    max_bin=255,
)
MODELS = ("ols", "lightgbm")  # the Python peers of vader's ols and gbm


# --------------------------------------------------------------------------- environment


def ensure_venv(argv: list[str]) -> None:
    """Reruns this script in benches/peers/.venv, creating it first if needed."""
    if "--no-venv" in argv or "--worker" in argv:
        return
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV} and installing {REQUIREMENTS.name}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)], check=True)
    os.execv(str(python), [str(python), str(Path(__file__).resolve()), *argv])


# --------------------------------------------------------------------------- worker side


def load_features(path: Path):
    """Feature rows of `vader features`, per meter in day order, and the feature columns."""
    import numpy as np
    import pandas as pd

    df = pd.read_parquet(path)
    cols = list(df.columns)
    feats = cols[cols.index("decision_at") + 1 : cols.index("actual_kwh")]
    df["day"] = pd.to_datetime(df["day"]).dt.date
    # Seconds since the epoch, as vader compares them; a never-known actual is +inf.
    epoch, second = pd.Timestamp(0, tz="UTC"), pd.Timedelta(seconds=1)
    df["decision_s"] = (df["decision_at"] - epoch) / second
    df["known_s"] = ((df["actual_known_at"] - epoch) / second).fillna(np.inf)
    df = df.sort_values(["meter_id", "day"], kind="stable").reset_index(drop=True)
    return df, feats


def test_period(df, test_from: str | None, test_to: str | None) -> tuple[date, date]:
    """vader's default: the last day of the rows and the 364 days before it."""
    last = date.fromisoformat(test_to) if test_to else max(df["day"])
    first = date.fromisoformat(test_from) if test_from else last - timedelta(days=TEST_DAYS - 1)
    return first, last


def chunks(first: date, last: date, size: int) -> list[tuple[date, date]]:
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [(days[i], days[min(i + size, len(days)) - 1]) for i in range(0, len(days), size)]


class Ols:
    """vader's `ols` with scikit-learn (see the module docstring)."""

    def __init__(self):
        from sklearn.feature_selection import VarianceThreshold
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LinearRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.make = lambda: make_pipeline(
            SimpleImputer(strategy="mean"), VarianceThreshold(0.0), StandardScaler(), LinearRegression()
        )

    def prepare(self, feats: list[str]) -> None:
        pass

    def fit_predict(self, x_train, y_train, x_test):
        return self.make().fit(x_train, y_train).predict(x_test), None


class LightGbm:
    """vader's `gbm` with LightGBM (see the module docstring)."""

    def __init__(self, threads: int):
        import lightgbm as lgb
        import numpy  # noqa: F401  (imported here, before the timed part)

        self.lgb = lgb
        self.params = dict(
            objective="regression",
            metric="l2",
            boost_from_average=True,
            learning_rate=GBM["learning_rate"],
            num_leaves=GBM["num_leaves"],
            max_depth=-1,
            min_data_in_leaf=GBM["min_data_in_leaf"],
            lambda_l2=GBM["lambda_l2"],
            max_bin=GBM["max_bin"],
            num_threads=threads,
            deterministic=True,
            force_row_wise=True,
            seed=42,
            verbosity=-1,
        )

    def prepare(self, feats: list[str]) -> None:
        self.offset = feats.index(OFFSET)

    def fit_predict(self, x_train, y_train, x_test):
        import numpy as np

        lgb, p = self.lgb, self.params
        col = x_train[:, self.offset]
        finite = col[np.isfinite(col)]
        fallback = float(finite.mean()) if finite.size else 0.0

        def offset(x):
            o = x[:, self.offset].copy()
            o[~np.isfinite(o)] = fallback
            return o

        target = y_train - offset(x_train)
        n = len(target)
        n_val = int(n * GBM["validation_fraction"])  # floor, as vader
        full = lgb.Dataset(x_train, target, params=p, free_raw_data=False).construct()
        mdl = GBM["min_data_in_leaf"]
        if n_val >= mdl and n - n_val >= 2 * mdl:
            fit = full.subset(list(range(n - n_val)))
            val = full.subset(list(range(n - n_val, n)))
            stopped = lgb.train(
                p,
                fit,
                num_boost_round=GBM["max_rounds"],
                valid_sets=[val],
                callbacks=[lgb.early_stopping(GBM["early_stopping_rounds"], verbose=False)],
            )
            rounds = max(stopped.best_iteration, 1)
        else:  # vader's fallback when the rows are too few for a tail
            rounds = min(GBM["max_rounds"], 200)
        booster = lgb.train(p, full, num_boost_round=rounds)
        return booster.predict(x_test, num_threads=p["num_threads"]) + offset(x_test), rounds


# Set by `worker` before any fork, read by `replay_meter` in the pool's processes.
_STATE: dict = {}


def rss_kib() -> int:
    """The current resident set size of this process, KiB."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def pool_start() -> None:
    """Runs in each pool process right after the fork: what it then shares with its parent."""
    _STATE["rss_at_fork_kib"] = rss_kib()


def replay_meter(i: int):
    """The walk-forward of one meter: (meter index, forecasts, fits, rounds, pid, peak KiB
    beyond the RSS at fork)."""
    import resource

    import numpy as np

    st = _STATE
    meter, x, y, day, decision, known = st["meters"][i]
    model, (first, last), refit_days = st["model"], st["period"], st["refit_days"]
    finite = np.isfinite(y)
    done, fits, rounds = [], 0, []
    for lo, hi in chunks(first, last, refit_days):
        rows = np.flatnonzero((day >= lo) & (day <= hi))
        if rows.size == 0:
            continue
        refit_at = decision[rows].min()
        train = np.flatnonzero((known <= refit_at) & finite)
        pred, info = model.fit_predict(x[train], y[train], x[rows])
        fits += 1
        if info is not None:
            rounds.append(info)
        done.append((rows, pred))
    rows = np.concatenate([r for r, _ in done])
    pred = np.concatenate([p for _, p in done])
    forecasts = dict(meter_id=[meter] * len(rows), day=[str(d) for d in day[rows]], forecast_kwh=pred, actual_kwh=y[rows])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - st.get("rss_at_fork_kib", 0)
    return i, forecasts, fits, rounds, os.getpid(), peak


def worker(args) -> None:
    """One model's walk-forward; writes its forecasts (parquet) and a JSON result.

    With `--jobs` above 1 the meters are replayed by a pool of forked processes (as vader
    replays its meter-model jobs on a thread pool); the result is the same whatever the count.
    """
    t_start = time.perf_counter()
    import multiprocessing
    import resource

    import numpy as np
    import pandas as pd

    model = Ols() if args.worker == "ols" else LightGbm(args.threads)
    t_imported = time.perf_counter()
    df, feats = load_features(Path(args.features))
    model.prepare(feats)
    first, last = test_period(df, args.test_from, args.test_to)
    meters = [
        (
            meter,
            d[feats].to_numpy(np.float64),
            d["actual_kwh"].to_numpy(np.float64),
            d["day"].to_numpy(),
            d["decision_s"].to_numpy(np.float64),
            d["known_s"].to_numpy(np.float64),
        )
        for meter, d in df.groupby("meter_id", sort=True)
    ]
    _STATE.update(meters=meters, model=model, period=(first, last), refit_days=args.refit_days)
    t_loaded = time.perf_counter()

    if args.jobs > 1:
        with multiprocessing.get_context("fork").Pool(args.jobs, initializer=pool_start) as pool:
            parts = list(pool.imap_unordered(replay_meter, range(len(meters))))
            pool.close()
            pool.join()
    else:
        parts = [replay_meter(i) for i in range(len(meters))]
    parts.sort(key=lambda part: part[0])
    forecasts = pd.concat([pd.DataFrame(part[1]) for part in parts], ignore_index=True)
    t_walked = time.perf_counter()

    metrics = score(forecasts["forecast_kwh"].to_numpy(), forecasts["actual_kwh"].to_numpy())
    forecasts.to_parquet(args.forecasts_out, index=False)
    own_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    children = {}
    for part in parts:
        if part[4] != os.getpid():
            children[part[4]] = max(children.get(part[4], 0), part[5])
    rounds = [r for part in parts for r in part[3]]
    info = {}
    if rounds:
        info = {"rounds_median": statistics.median(rounds), "rounds_min": min(rounds), "rounds_max": max(rounds)}
    result = dict(
        model=args.worker,
        test_from=str(first),
        test_to=str(last),
        fits=sum(part[2] for part in parts),
        forecasts=len(forecasts),
        metrics=metrics,
        jobs=args.jobs,
        threads=args.threads,
        import_s=t_imported - t_start,
        load_s=t_loaded - t_imported,
        walk_forward_s=t_walked - t_loaded,
        worker_s=time.perf_counter() - t_start,
        maxrss_kib=own_kib + sum(children.values()),
        maxrss_parts_kib=[own_kib, *children.values()],
        info=info,
    )
    Path(args.result_out).write_text(json.dumps(result, indent=1))


def score(forecast, actual) -> dict:
    """vader's Metrics and gas imbalance euros over rows with a finite actual and forecast."""
    import numpy as np

    ok = np.isfinite(actual) & np.isfinite(forecast)
    e = forecast[ok] - actual[ok]
    abs_e = np.abs(e)
    unit = GAS_PRICE_EUR_PER_MWH * SMALL_ADJUSTMENT  # EUR per MWh of imbalance, either side
    return dict(
        n=int(ok.sum()),
        mae=float(abs_e.mean()),
        rmse=float(np.sqrt((e * e).mean())),
        wape=float(abs_e.sum() / np.abs(actual[ok]).sum()),
        bias=float(e.mean()),
        euros=float((abs_e / 1000.0 * unit).sum()),
    )


# --------------------------------------------------------------------------- driver side


def vader_binary(args) -> tuple[Path, str]:
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache" / "vader" / "target"))
    if args.vader_bin:
        path = Path(args.vader_bin)
        return path, next((p for p in ("release", "debug") if p in str(path)), "given binary")
    if args.build:
        env = dict(os.environ, CARGO_TARGET_DIR=str(target))
        subprocess.run(["cargo", "build", "--release", "--bin", "vader"], cwd=REPO, env=env, check=True)
    for profile in ("release", "debug"):
        binary = target / profile / "vader"
        if binary.exists():
            return binary, profile
    env = dict(os.environ, CARGO_TARGET_DIR=str(target))
    subprocess.run(["cargo", "build", "--release", "--bin", "vader"], cwd=REPO, env=env, check=True)
    return target / "release" / "vader", "release"


def timed(cmd: list[str], cwd: Path, stdout=None, env=None) -> tuple[float, float, float, subprocess.CompletedProcess]:
    """Runs `cmd` under /usr/bin/time: (wall s, peak MB, CPU s user + system, process)."""
    tfile = Path(os.environ.get("TMPDIR", "/tmp")) / f"peer-time-{os.getpid()}.txt"
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M %U %S", "-o", str(tfile), *cmd], cwd=cwd, stdout=stdout,
        stderr=subprocess.PIPE, env=env,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    wall, kib, user, system = tfile.read_text().split()[-4:]
    tfile.unlink()
    return float(wall), float(kib) / 1024.0, float(user) + float(system), proc


def run_worker(model: str, args, work: Path) -> dict:
    result_out, forecasts_out = work / f"py-{model}.json", work / f"py-{model}.parquet"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", model, "--features", str(work / "features.parquet"),
           "--result-out", str(result_out), "--forecasts-out", str(forecasts_out),
           "--threads", str(args.threads), "--jobs", str(args.jobs), "--refit-days", str(args.refit_days)]
    if args.test_from:
        cmd += ["--test-from", args.test_from]
    if args.test_to:
        cmd += ["--test-to", args.test_to]
    # BLAS (numpy, scikit-learn) and OpenMP get the same thread count as LightGBM.
    env = dict(os.environ, **{v: str(args.threads) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    wall, _, cpu, _ = timed(cmd, REPO, env=env)
    result = json.loads(result_out.read_text())
    result["process_s"], result["cpu_s"] = wall, cpu
    result["peak_mb"] = result["maxrss_kib"] / 1024.0
    result["forecasts_path"] = str(forecasts_out)
    return result


def leaderboard(summary: dict) -> list[dict]:
    board = summary.get("leaderboard") or summary.get("scores", {}).get("leaderboard")
    if board is None:
        raise SystemExit("no leaderboard in vader's JSON")
    return board


def agreement(vader_dir: Path, py: dict, vader_model: str) -> str:
    """Same rows as vader? Largest and mean forecast difference against vader's model."""
    import numpy as np
    import pandas as pd

    v = pd.read_parquet(vader_dir / "forecasts.parquet")
    v = v[v["model"] == vader_model]
    v = v.assign(day=v["day"].astype(str))[["meter_id", "day", "forecast_kwh", "actual_kwh"]]
    p = pd.read_parquet(py["forecasts_path"])
    m = p.merge(v, on=["meter_id", "day"], how="outer", suffixes=("_py", "_vader"), indicator=True)
    only = (m["_merge"] != "both").sum()
    both = m[m["_merge"] == "both"]
    same_actual = np.array_equal(
        both["actual_kwh_py"].to_numpy(), both["actual_kwh_vader"].to_numpy(), equal_nan=True
    )
    d = (both["forecast_kwh_py"] - both["forecast_kwh_vader"]).abs()
    rel = d / both["actual_kwh_vader"].abs().replace(0, np.nan)
    return (
        f"{len(both)} common rows, {only} in one run only, actuals {'identical' if same_actual else 'DIFFER'}; "
        f"|{py['model']} - vader {vader_model}| forecast: mean {d.mean():.1f} kWh, max {d.max():.1f} kWh "
        f"(max {100 * rel.max():.3g} % of the actual)"
    )


def fmt_table(header: list[str], rows: list[list[str]], right: set[int]) -> tuple[str, str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    cell = lambda s, i: s.rjust(widths[i]) if i in right else s.ljust(widths[i])
    line = lambda r: "  ".join(cell(s, i) for i, s in enumerate(r)).rstrip()
    text = "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])
    md = "\n".join(
        [
            "| " + " | ".join(header) + " |",
            "|" + "|".join("--:" if i in right else "---" for i in range(len(header))) + "|",
            *("| " + " | ".join(r) + " |" for r in rows),
        ]
    )
    return text, md


def load_now() -> str:
    return "%.2f" % os.getloadavg()[0]


def main(args) -> None:
    import lightgbm
    import sklearn

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    vader_out = Path(args.vader_out)
    binary, profile = vader_binary(args)
    head = subprocess.run(["git", "log", "-1", "--format=%h %ct"], cwd=REPO, capture_output=True, text=True)
    head_hash, head_time = (head.stdout.split() + ["?", "0"])[:2]
    built = binary.stat().st_mtime
    stale = built < float(head_time)
    data_args = ["--data", args.data] if args.data else []
    print(f"vader binary: {binary} ({profile} build, modified {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(built))} UTC;"
          f" repository HEAD {head_hash}{', NEWER than the binary: pass --build' if stale else ''})", file=sys.stderr)

    # 1. Feature export.
    features = work / "features.parquet"
    print(f"[1/4] vader features (load {load_now()})", file=sys.stderr)
    export_s, export_mb, _, _ = timed(
        [str(binary), "features", "--target", "gas-day", *data_args, "--out", str(features)], REPO,
        stdout=subprocess.DEVNULL,
    )

    # 2. vader backtest.
    vader_runs = []
    for i in range(args.repeat):
        print(f"[2/4] vader backtest run {i + 1}/{args.repeat} (load {load_now()})", file=sys.stderr)
        wall, mb, cpu, proc = timed(
            [str(binary), "backtest", *data_args, "--models", "ols,gbm", *args.vader_args.split(),
             "--format", "json", "--out", str(vader_out)], REPO, stdout=subprocess.PIPE,
        )
        vader_runs.append((wall, mb, cpu))
    summary = json.loads(proc.stdout)
    board = {row["model"]: row for row in leaderboard(summary)}
    vader_wall = statistics.median(r[0] for r in vader_runs)
    vader_mb = max(r[1] for r in vader_runs)
    vader_cpu = statistics.median(r[2] for r in vader_runs)

    # 3. Python walk-forwards, one process per model.
    py = {}
    for model in MODELS:
        runs = []
        for i in range(args.repeat):
            print(f"[3/4] python {model} run {i + 1}/{args.repeat} (load {load_now()})", file=sys.stderr)
            runs.append(run_worker(model, args, work))
        res = runs[-1]
        res["process_s"] = statistics.median(r["process_s"] for r in runs)
        res["walk_forward_s"] = statistics.median(r["walk_forward_s"] for r in runs)
        res["cpu_s"] = statistics.median(r["cpu_s"] for r in runs)
        res["process_runs_s"] = [r["process_s"] for r in runs]
        res["peak_mb"] = max(r["peak_mb"] for r in runs)
        py[model] = res

    # 4. Table.
    print(f"[4/4] done (load {load_now()})", file=sys.stderr)
    run_info = summary.get("run", {})
    mwh = lambda kwh: f"{kwh / 1000:.2f}"
    pct = lambda w: f"{100 * w:.2f}"
    eur = lambda e: f"{e:.0f}"
    vtool = f"vader {run_info.get('vader_version', '?')} ({profile}, {head_hash})"
    rows = []
    for model in ("ols", "gbm"):
        r = board[model]
        rows.append([vtool, model, mwh(r["metrics"]["mae"]), pct(r["metrics"]["wape"]), eur(r["euros"]),
                     f"{vader_wall:.1f} (a)", f"{vader_mb:.0f} (a)"])
    tools = {"ols": (f"scikit-learn {sklearn.__version__}", "LinearRegression"),
             "lightgbm": (f"LightGBM {lightgbm.__version__}", "lgb.train (as gbm)")}
    for model, res in py.items():
        tool, name = tools[model]
        m = res["metrics"]
        rows.append([tool, name, mwh(m["mae"]), pct(m["wape"]), eur(m["euros"]),
                     f"{res['process_s']:.1f} (b)", f"{res['peak_mb']:.0f} (c)"])
    header = ["tool", "model", "MAE (MWh)", "WAPE %", "euros", "wall time s", "peak memory MB"]
    text, md = fmt_table(header, rows, right={2, 3, 4, 5, 6})

    n_meters = len(run_info.get("meters", [])) or "?"
    first, last = py["ols"]["test_from"], py["ols"]["test_to"]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    title = (f"Gas-day walk-forward on {args.data or 'datasets/refinery'} ({n_meters} gas meters, one model per meter), "
             f"target days {first} to {last}, refit every {args.refit_days} days on an expanding window; "
             f"{board['ols']['metrics']['n']} scored forecasts per model; euros at 35 EUR/MWh with a 2 % small "
             f"adjustment. Machine: {cpu}, {os.cpu_count()} cores.")
    lgb_info = py["lightgbm"]["info"]
    notes = [
        f"(a) One process for both models: `/usr/bin/time -f \"%e %M\" vader backtest --models ols,gbm"
        f"{(' ' + args.vader_args) if args.vader_args else ''} --format json` ({profile} build; median of "
        f"{args.repeat} run(s): {', '.join(f'{r[0]:.1f}' for r in vader_runs)} s; CPU {vader_cpu:.1f} s); it also reads the raw readings, builds the features, replays "
        f"{run_info.get('calibration_days', 0)} calibration days before the test period (forecasts that are not "
        f"scored), runs the A/B tests and writes the report with its plots.",
        f"(b) One Python process per model, {args.jobs} process(es) replaying the meters, {args.threads} thread(s) "
        f"each, median of {args.repeat} run(s): interpreter start, imports, reading the exported features, "
        f"walk-forward, scoring; both models {py['ols']['process_s'] + py['lightgbm']['process_s']:.1f} s. "
        f"Runs: {', '.join(f'{t:.1f}' for t in py['ols']['process_runs_s'])} s (scikit-learn), "
        f"{', '.join(f'{t:.1f}' for t in py['lightgbm']['process_runs_s'])} s (LightGBM); CPU "
        f"{py['ols']['cpu_s']:.1f} s and {py['lightgbm']['cpu_s']:.1f} s. The walk-forward alone: "
        f"{py['ols']['walk_forward_s']:.1f} s (scikit-learn), {py['lightgbm']['walk_forward_s']:.1f} s "
        f"(LightGBM: {py['lightgbm']['fits']} fits, best rounds median {lgb_info['rounds_median']:g}, "
        f"{lgb_info['rounds_min']} to {lgb_info['rounds_max']}). The features come from `vader features --target "
        f"gas-day`: {export_s:.2f} s, {export_mb:.0f} MB, not counted here.",
        "(c) ru_maxrss of the process" + (
            ", plus, for each pool process, its ru_maxrss less its RSS right after the fork (the pages it shares "
            "with its parent counted once; a sum of peaks)" if args.jobs > 1 else "") + "; MB = KiB / 1024, as (a).",
    ]
    checks = []
    if (run_info.get("test_from"), run_info.get("test_to")) != (first, last):
        checks.append(f"WARNING: vader's test period is {run_info.get('test_from')} to {run_info.get('test_to')}")
    for model, res in py.items():
        vm = "ols" if model == "ols" else "gbm"
        if res["metrics"]["n"] != board[vm]["metrics"]["n"]:
            checks.append(f"WARNING: {model} scored {res['metrics']['n']} rows, vader {vm} {board[vm]['metrics']['n']}")
        checks.append(f"check, {tools[model][0]} against vader {vm}: " + agreement(vader_out, res, vm))

    print(title)
    print()
    print(text)
    print()
    print("\n".join(notes))
    print("\n".join(checks))
    print()
    print("Markdown:")
    print()
    print(title)
    print()
    print(md)
    print()
    print("\n\n".join(notes))

    results = dict(title=title, rows=[dict(zip(header, r)) for r in rows], vader_runs=vader_runs,
                   export_s=export_s, export_mb=export_mb, python=py, vader_binary=str(binary),
                   vader_profile=profile, head=head_hash, jobs=args.jobs, threads=args.threads, checks=checks,
                   load_at_end=os.getloadavg())
    (work / "results.json").write_text(json.dumps(results, indent=1))
    print(f"\n(results: {work / 'results.json'})", file=sys.stderr)


def parse(argv: list[str]):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help="data folder given to vader (default: vader's, datasets/refinery)")
    ap.add_argument("--vader-bin", help="vader binary (default: $CARGO_TARGET_DIR/{release,debug}/vader)")
    ap.add_argument("--build", action="store_true", help="cargo build --release first")
    ap.add_argument("--vader-args", default="", help="extra arguments for vader backtest, e.g. '--calibration-days 0'")
    ap.add_argument("--vader-out", default="/tmp/peer-vader", help="vader backtest --out folder")
    ap.add_argument("--work", default="/tmp/peer-backtest", help="folder for the features, forecasts and results.json")
    ap.add_argument("--jobs", type=int, default=2,
                    help="processes replaying meters in parallel (default 2, the cores vader's thread pool uses)")
    ap.add_argument("--threads", type=int, default=1,
                    help="LightGBM num_threads and BLAS threads per process (default 1: vader fits each model on one thread)")
    ap.add_argument("--refit-days", type=int, default=REFIT_DAYS)
    ap.add_argument("--test-from", help="first target day (default: 364 days before the last)")
    ap.add_argument("--test-to", help="last target day (default: the last day of the features)")
    ap.add_argument("--repeat", type=int, default=1, help="timed runs of each tool (median wall, max memory)")
    ap.add_argument("--no-venv", action="store_true", help="run in the current interpreter")
    ap.add_argument("--worker", choices=list(MODELS), help=argparse.SUPPRESS)
    ap.add_argument("--features", help=argparse.SUPPRESS)
    ap.add_argument("--result-out", help=argparse.SUPPRESS)
    ap.add_argument("--forecasts-out", help=argparse.SUPPRESS)
    return ap.parse_args(argv)


if __name__ == "__main__":
    ensure_venv(sys.argv[1:])
    a = parse(sys.argv[1:])
    if a.worker:
        worker(a)
    else:
        if a.test_from or a.test_to:
            extra = (["--test-from", a.test_from] if a.test_from else []) + (["--test-to", a.test_to] if a.test_to else [])
            a.vader_args = " ".join([a.vader_args, *extra]).strip()
        main(a)
