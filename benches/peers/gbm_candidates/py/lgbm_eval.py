"""LightGBM reference run for the vader GBM evaluation (protocol in REPORT.md)."""
import json, statistics, sys, time
import numpy as np, pandas as pd, lightgbm as lgb

DATA = "/work/gbm-eval/features.parquet"
df = pd.read_parquet(DATA)
cols = list(df.columns)
FEATS = cols[cols.index("decision_at") + 1: cols.index("actual_kwh")]
assert len(FEATS) == 25, FEATS
df["day"] = pd.to_datetime(df["day"])
df = df.sort_values(["meter_id", "day"]).reset_index(drop=True)

PARAMS = dict(objective="regression", learning_rate=0.05, num_leaves=31, min_data_in_leaf=20,
              max_bin=255, num_threads=1, seed=42, deterministic=True, force_row_wise=True,
              verbose=-1)
MAX_ROUNDS, PATIENCE = 2000, 50
# `--residual`: variant (b) of the vader-GBM section: the trees learn y - last_day (NaN last_day filled with
# the mean of last_day over the model's training rows), predictions are tree output + last_day.
RESIDUAL = "--residual" in sys.argv[1:]
OUT = "/work/gbm-eval/results/lightgbm-residual.json" if RESIDUAL else "/work/gbm-eval/results/lightgbm.json"
LD = FEATS.index("last_day")

def offsets(Xtr, X):
    """last_day of X with NaN replaced by the training mean of last_day (zeros when not RESIDUAL)."""
    if not RESIDUAL:
        return np.zeros(len(X))
    col = Xtr[:, LD]; fill = col[np.isfinite(col)].mean()
    o = X[:, LD].astype(np.float64).copy(); o[~np.isfinite(o)] = fill
    return o

def split(d):
    fin = np.isfinite(d["actual_kwh"].to_numpy())
    tr = d[(d["day"] <= "2024-12-31") & fin]
    te = d[(d["day"] >= "2025-01-01") & (d["day"] <= "2025-12-31") & fin]
    return tr, te

def fit(Xtr, ytr, cat=None):
    n = len(Xtr); nv = int(round(n * 0.2)); cut = n - nv
    ytr = ytr - offsets(Xtr, Xtr)
    dtr = lgb.Dataset(Xtr[:cut], ytr[:cut], categorical_feature=cat or "auto", free_raw_data=False)
    dva = lgb.Dataset(Xtr[cut:], ytr[cut:], reference=dtr, categorical_feature=cat or "auto")
    t0 = time.perf_counter()
    m = lgb.train(PARAMS, dtr, num_boost_round=MAX_ROUNDS, valid_sets=[dva],
                  callbacks=[lgb.early_stopping(PATIENCE, verbose=False)])
    return m, time.perf_counter() - t0

per_meter, abs_err, times = [], [], []
for mid, d in df.groupby("meter_id", sort=True):
    tr, te = split(d)
    Xtr = tr[FEATS].to_numpy(np.float64); ytr = tr["actual_kwh"].to_numpy(np.float64)
    Xte = te[FEATS].to_numpy(np.float64); yte = te["actual_kwh"].to_numpy(np.float64)
    m, dt = fit(Xtr, ytr)
    p = m.predict(Xte, num_iteration=m.best_iteration) + offsets(Xtr, Xte)
    e = np.abs(p - yte); abs_err.append(e); times.append(dt)
    per_meter.append(dict(meter=mid, n_train=len(tr), n_test=len(te), best_iter=m.best_iteration,
                          train_s=dt, mae=float(e.mean())))
    last_model, last_Xte = m, Xte

allerr = np.concatenate(abs_err)
# prediction latency on last meter's model
row = last_Xte[:1]
for _ in range(50): last_model.predict(row, num_iteration=last_model.best_iteration)
N = 2000; t0 = time.perf_counter()
for _ in range(N): last_model.predict(row, num_iteration=last_model.best_iteration)
lat1 = (time.perf_counter() - t0) / N
X1000 = np.resize(last_Xte, (1000, last_Xte.shape[1]))
t0 = time.perf_counter()
for _ in range(50): last_model.predict(X1000, num_iteration=last_model.best_iteration, num_threads=1)
lat1000 = (time.perf_counter() - t0) / 50

# determinism: refit meter 0 twice, compare predictions
d0 = df[df["meter_id"] == sorted(df["meter_id"].unique())[0]]
tr0, te0 = split(d0)
ps = [fit(tr0[FEATS].to_numpy(), tr0["actual_kwh"].to_numpy())[0].predict(te0[FEATS].to_numpy())
      + offsets(tr0[FEATS].to_numpy(), te0[FEATS].to_numpy()) for _ in range(2)]
det = bool(np.array_equal(ps[0], ps[1]))

# pooled fit: all meters, meter_id as categorical code, training rows ordered by day (then meter)
trs, tes = zip(*(split(d) for _, d in df.groupby("meter_id", sort=True)))
ptr = pd.concat(trs).sort_values(["day", "meter_id"]); pte = pd.concat(tes)
codes = {m: i for i, m in enumerate(sorted(df["meter_id"].unique()))}
def pX(d):
    X = d[FEATS].to_numpy(np.float64)
    return np.column_stack([X, d["meter_id"].map(codes).to_numpy(np.float64)])
pm, pdt = fit(pX(ptr), ptr["actual_kwh"].to_numpy(), cat=[len(FEATS)])
pmae = float(np.abs(pm.predict(pX(pte), num_iteration=pm.best_iteration) + offsets(pX(ptr), pX(pte))
                    - pte["actual_kwh"].to_numpy()).mean())

out = dict(tool="lightgbm-residual" if RESIDUAL else "lightgbm", version=lgb.__version__, overall_test_mae=float(allerr.mean()),
           n_test=int(allerr.size), train_s_median=statistics.median(times), train_s_total=sum(times),
           pred_1row_us=lat1 * 1e6, pred_1000rows_ms=lat1000 * 1e3, deterministic_refit=det,
           pooled=dict(n_train=len(ptr), best_iter=pm.best_iteration, train_s=pdt, test_mae=pmae),
           per_meter=per_meter)
print(json.dumps(out, indent=1))
json.dump(out, open(OUT, "w"), indent=1)
