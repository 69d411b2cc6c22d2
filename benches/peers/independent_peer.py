#!/usr/bin/env python3
"""An independent peer of `vader backtest` on real data: its own features, vader's protocol.

What a data scientist would write with pandas, scikit-learn, LightGBM and the `holidays` package,
WITHOUT vader's feature table: it reads a vader data folder itself, builds its own as-of features,
replays the same decisions as `vader backtest` at their decision times, prices them with SPEC.md's
default costs, runs vader on the same folder, and prints ONE table of MAE and euros for every
model of both sides.

From the repository root (it runs vader from there, so data folders are relative to it):

    python3 -m venv benches/peers/.venv-independent
    benches/peers/.venv-independent/bin/pip install -r benches/peers/requirements-independent.txt
    nice -n 10 benches/peers/.venv-independent/bin/python benches/peers/independent_peer.py

Protocol (the same as vader's; each point is checked by the seasonal-naive match):

- Targets: gas meters on `gas-day` (total of gas day D, 06:00 to 06:00 local time, decided on
  D-1 at 14:00 local); electricity meters on `electricity-day` (the energy of each settlement
  period of calendar day D, at the data's own resolution, decided on D-1 at 11:00 local).
  `--electricity-target daily` uses the calendar-day total decided at D-1 14:00 instead (vader is
  then run with `--target daily --meters <the electricity meters>`).
- Information: a reading is known at `received_at` if the file has it, else at its interval end
  plus `--data-delay-hours` (2). A day's total is known once every interval of the day has a usable
  reading (finite, non-negative, on the meter's grid) and all of them are known; a period's value
  once its reading is known. So at D-1 14:00 the last complete gas day is normally D-2.
- Test period: the last 365 target days: `test_to` = the day of the last reading of the group's
  meters, `test_from` = `test_to` - 364 days (options `--test-from/--test-to`). Refits every 7
  target days from `test_from`, per meter, on an expanding window: the rows whose actual was known
  at the refit time (the earliest decision of the 7 days) and is finite.
- Scores over rows with a known actual: MAE in kWh (per gas day or per settlement period) and
  euros, SPEC.md's defaults: gas 35 EUR/MWh with a 2 % small adjustment each side, so
  0.7 EUR per MWh of imbalance either way; electricity P_DA 60 EUR/MWh, k = 0.05, so 3 EUR/MWh
  either way. `--gas-small-adjustment-long/--short` and `--electricity-k-long/--short` set
  asymmetric prices (the quantile model then uses the cost-optimal tau = c_u / (c_u + c_o)).

Peer models, one per meter: `seasonal-naive` (the same weekday last week, else the most recent
value known, else the training mean), `LinearRegression` and `Ridge` (median imputation,
standardised features), `LightGBM` (LGBMRegressor, n_estimators=500, learning_rate=0.05,
num_leaves=31) and `LightGBM-q<tau>` (the same with the quantile loss at the cost-optimal tau,
0.5 at symmetric prices); deterministic (seed 42, deterministic=True, num_threads=2).

Features (built here, from the raw readings, as of each decision time): the most recent known
value, lags of 2, 3, 7, 14 and 364 days, means of the last 7 and 28 known days and of the same
weekday over 4 weeks, the standard deviation of the last 7, the rate of the last 24 known hours;
per period also the same slot's lags and means and the local hour; weekday, weekend, day of year
(two harmonics), the country's public holidays (the day, the eve, the day after, the day a
week earlier) and the Christmas fortnight, from the `holidays` package, the country read from the
meter's `country` column or else inferred from its time zone (Europe/Paris -> FR,
Europe/London -> GB, America/* -> US, Australia/* -> AU...); the target day's temperature mean,
minimum and maximum (and the period's), read as a perfect forecast, heating and cooling degrees,
the temperature a week earlier.

Output: the table on standard output and in `benches/peers/independent-results.md` (`--out`),
with the command, machine, date and package versions at the top; per data group, which side's best
model wins on MAE and on euros, and by how much; the seasonal-naive match with vader; and the wall
time of each side on each group, measured in the same run (the peer's features and models; vader's
whole `vader backtest` process), with the ratio peer / vader.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# LightGBM's OpenMP threads spin while they wait by default; on a machine that another process
# keeps busy that makes a 2-thread fit many times slower. Passive waiting changes no result.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_DATA = ["datasets/eemeter-uk", "datasets/gazpar-fr", "datasets/sceaux-fr", "datasets/cogen-us"]
DEFAULT_VADER = "/tmp/vader-bin/vader"
VADER_MODELS = "persistence,seasonal-naive,mean-7d,ols,ridge,gbm,gbm-q0.5,gbm-tuned-q0.5"
# The random forest on daily targets only: on a settlement-period target (24 rows a day) one
# smartcore forest per refit takes minutes (8 min did not finish two months of Sceaux, where
# gbm-q0.5 takes 30 s), so it is left out there.
VADER_DAILY_ONLY = ",forest"
TEST_DAYS = 365
# Folders shorter than a test year plus vader's 56 calibration days: the first target day that
# datasets/README.md gives for them (both sides then use it).
DATASET_TEST_FROM = {"datasets/cogen-us": "2021-09-01"}
REFIT_DAYS = 7
SEED = 42
THREADS = 2

# Time zone -> country, for meters without a `country` column.
TZ_COUNTRY = {
    "Europe/Paris": "FR", "Europe/London": "GB", "Europe/Berlin": "DE", "Europe/Brussels": "BE",
    "Europe/Amsterdam": "NL", "Europe/Madrid": "ES", "Europe/Rome": "IT", "Europe/Dublin": "IE",
    "Europe/Lisbon": "PT", "Europe/Vienna": "AT", "Europe/Zurich": "CH", "Europe/Luxembourg": "LU",
}
TZ_PREFIX_COUNTRY = {"America/": "US", "US/": "US", "Australia/": "AU"}


# --------------------------------------------------------------------------- targets and costs


@dataclass(frozen=True)
class Target:
    name: str  # vader's name
    day_start_hour: int  # 6: gas day, 0: calendar day
    decision_hour: int  # local hour on D-1
    per_period: bool


GAS_DAY = Target("gas-day", 6, 14, False)
DAILY = Target("daily", 0, 14, False)
ELECTRICITY_DAY = Target("electricity-day", 0, 11, True)


@dataclass(frozen=True)
class Costs:
    """Euros per MWh of imbalance: `long` when the decision exceeded the actual, `short` below it."""

    long: float
    short: float

    @property
    def tau(self) -> float:  # the cost-optimal quantile, c_u / (c_u + c_o)
        return self.short / (self.short + self.long)

    def euros(self, decision_kwh: np.ndarray, actual_kwh: np.ndarray) -> float:
        e = (decision_kwh - actual_kwh) / 1000.0
        return float(np.sum(np.where(e > 0, e * self.long, -e * self.short)))


def gas_costs(price=35.0, small_adjustment_long=0.02, small_adjustment_short=0.02) -> Costs:
    # C = I+ (P - MSP) + I- (MBP - P), MSP = P (1 - SA_long), MBP = P (1 + SA_short).
    return Costs(long=price * small_adjustment_long, short=price * small_adjustment_short)


def electricity_costs(price=60.0, k_long=0.05, k_short=0.05) -> Costs:
    # C = E+ (P_DA - PRE+) + E- (PRE- - P_DA), PRE+/- = VWAP (1 -/+ k), VWAP = P_DA.
    return Costs(long=price * k_long, short=price * k_short)


# --------------------------------------------------------------------------- reading a data folder


@dataclass
class Series:
    """One meter's readings, sorted by interval start (Unix seconds)."""

    meter_id: str
    start: np.ndarray  # int64
    energy: np.ndarray  # float64, NaN where missing
    known_at: np.ndarray  # int64: received_at, or start + interval + delay
    interval: int
    received: bool = True  # known_at comes from a received_at column
    delay: int = 7200  # seconds after an interval's end a reading is known, without received_at
    usable: np.ndarray = field(default=None)  # bool

    @property
    def daily(self) -> bool:
        """One reading per day (a step of 23 to 25 hours): each reading is a day's total."""
        return self.interval >= 23 * 3600

    def __post_init__(self):
        # Sub-daily readings off the meter's interval grid are not used (as vader); a daily
        # reading must start at its day's start instead (checked by `daily_totals`).
        on_grid = (self.start % self.interval == 0) if (86400 % self.interval == 0 and not self.daily) \
            else np.ones(len(self.start), bool)
        self.usable = np.isfinite(self.energy) & (self.energy >= 0) & on_grid


@dataclass
class Meter:
    meter_id: str
    site: str
    commodity: str
    timezone: str
    country: str | None
    subdivision: str | None


def _read_table(folder: Path, stem: str, required: bool = True) -> pd.DataFrame | None:
    for ext in ("parquet", "csv"):
        path = folder / f"{stem}.{ext}"
        if path.exists():
            return pd.read_parquet(path) if ext == "parquet" else pd.read_csv(path, dtype={"meter_id": str, "site": str})
    if required:
        raise SystemExit(f"{folder}: no {stem}.parquet or {stem}.csv")
    return None


def _epoch_seconds(col: pd.Series) -> np.ndarray:
    ts = pd.to_datetime(col, utc=True, format="ISO8601") if col.dtype == object or pd.api.types.is_string_dtype(col) \
        else pd.to_datetime(col, utc=True)
    return ((ts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy(np.int64)


def infer_interval(start: np.ndarray) -> int:
    """The most common positive step between consecutive starts (the smaller on ties); 1 h by default."""
    steps = np.diff(start)
    steps = steps[steps > 0]
    if steps.size == 0:
        return 3600
    values, counts = np.unique(steps, return_counts=True)
    return int(values[np.argmax(counts)])  # np.unique sorts values: argmax takes the smaller on ties


def read_folder(folder: Path, delay_s: int):
    """Meters, series per meter and weather per site ({site: (epoch seconds, temperature)})."""
    meters_df = pd.read_csv(folder / "meters.csv", dtype=str, keep_default_na=False)
    meters = {}
    for r in meters_df.to_dict("records"):
        meters[r["meter_id"]] = Meter(
            meter_id=r["meter_id"], site=r.get("site", ""), commodity=r["commodity"].strip().lower(),
            timezone=(r.get("timezone") or "Europe/Paris").strip(),
            country=(r.get("country") or "").strip() or None, subdivision=(r.get("subdivision") or "").strip() or None,
        )
    rd = _read_table(folder, "readings")
    rd = rd.assign(meter_id=rd["meter_id"].astype(str), t=_epoch_seconds(rd["timestamp"]),
                   energy=pd.to_numeric(rd["energy_kwh"], errors="raise").astype(float))
    has_received = "received_at" in rd.columns
    if has_received:
        rd["received"] = _epoch_seconds(rd["received_at"])
    # Exact duplicates are dropped; two different values for one interval are an error (as vader).
    key = ["meter_id", "t", "energy"] + (["received"] if has_received else [])
    rd = rd.drop_duplicates(subset=key).sort_values(["meter_id", "t"], kind="stable")
    clash = rd.duplicated(subset=["meter_id", "t"], keep=False)
    if clash.any():
        row = rd[clash].iloc[0]
        raise SystemExit(f"{folder}: conflicting readings for meter {row['meter_id']} at {row['timestamp']}")
    series = {}
    for meter_id, d in rd.groupby("meter_id", sort=True):
        start = d["t"].to_numpy(np.int64)
        interval = infer_interval(start)
        known = d["received"].to_numpy(np.int64) if has_received else start + interval + delay_s
        series[meter_id] = Series(meter_id, start, d["energy"].to_numpy(np.float64), known, interval,
                                  received=has_received, delay=delay_s)
    weather = {}
    w = _read_table(folder, "weather", required=False)
    if w is not None:
        w = w.assign(site=w["site"].astype(str), t=_epoch_seconds(w["timestamp"]),
                     temp=pd.to_numeric(w["temperature_c"], errors="coerce").astype(float))
        w = w[np.isfinite(w["temp"])].sort_values(["site", "t"], kind="stable").drop_duplicates(["site", "t"])
        for site, d in w.groupby("site", sort=True):
            weather[site] = (d["t"].to_numpy(np.int64), d["temp"].to_numpy(np.float64))
    return meters, series, weather


def country_of(meter: Meter) -> tuple[str | None, str | None]:
    if meter.country:
        return meter.country, meter.subdivision
    if meter.timezone in TZ_COUNTRY:
        return TZ_COUNTRY[meter.timezone], None
    for prefix, country in TZ_PREFIX_COUNTRY.items():
        if meter.timezone.startswith(prefix):
            return country, None
    return None, None


# --------------------------------------------------------------------------- local time


def local_naive(seconds: np.ndarray, tz: str) -> pd.DatetimeIndex:
    return pd.to_datetime(seconds, unit="s", utc=True).tz_convert(tz).tz_localize(None)


def local_to_epoch(naive: pd.DatetimeIndex, tz: str) -> np.ndarray:
    """UTC seconds of local wall-clock times (earlier instant when ambiguous, shifted forward in a gap)."""
    aware = naive.tz_localize(tz, ambiguous=np.ones(len(naive), bool), nonexistent="shift_forward")
    return ((aware - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy(np.int64)


def day_of(seconds: np.ndarray, start_hour: int, tz: str) -> np.ndarray:
    """The energy day (datetime64[D]) an instant belongs to: local time minus the day's start hour."""
    local = local_naive(seconds, tz) - pd.Timedelta(hours=start_hour)
    return local.normalize().to_numpy().astype("datetime64[D]")


def day_bounds(days: np.ndarray, start_hour: int, tz: str) -> tuple[np.ndarray, np.ndarray]:
    base = pd.DatetimeIndex(days.astype("datetime64[s]")) + pd.Timedelta(hours=start_hour)
    start = local_to_epoch(base, tz)
    end = local_to_epoch(base + pd.Timedelta(days=1), tz)
    return start, end


def decision_times(days: np.ndarray, target: Target, tz: str) -> np.ndarray:
    eve = pd.DatetimeIndex((days - np.timedelta64(1, "D")).astype("datetime64[s]"))
    return local_to_epoch(eve + pd.Timedelta(hours=target.decision_hour), tz)


# --------------------------------------------------------------------------- features


@dataclass
class Rows:
    """A meter's feature rows: one per target day (or settlement period)."""

    meter_id: str
    day: np.ndarray  # datetime64[D]
    start: np.ndarray  # interval start, Unix seconds
    decision_at: np.ndarray  # Unix seconds
    x: pd.DataFrame
    actual: np.ndarray  # kWh, NaN when unknown in the data
    actual_known_at: np.ndarray  # Unix seconds, int64 max when never
    same_weekday: np.ndarray  # the seasonal-naive inputs: value of D-7 known at the decision...
    last_known: np.ndarray  # ... and the most recent value known then


NEVER = np.iinfo(np.int64).max


def daily_totals(s: Series, start_hour: int, tz: str, first: np.datetime64, n_days: int):
    """Per day from `first`: total of usable readings, completeness, and when the day became known."""
    day = day_of(s.start, start_hour, tz)
    idx = (day - first).astype(np.int64)
    ok = s.usable & (idx >= 0) & (idx < n_days)
    days = first + np.arange(n_days)
    b0, b1 = day_bounds(days, start_hour, tz)
    known_at = s.known_at
    if s.daily:
        # A daily meter: the reading that starts at the day's start is the day's total, known
        # (without received_at) once the day, of 23, 24 or 25 hours, has ended plus the delay.
        ii = np.clip(idx, 0, n_days - 1)
        ok &= s.start == b0[ii]
        if not s.received:
            known_at = b1[ii] + s.delay
    total = np.bincount(idx[ok], weights=s.energy[ok], minlength=n_days)
    count = np.bincount(idx[ok], minlength=n_days)
    complete_at = np.full(n_days, np.iinfo(np.int64).min, np.int64)
    np.maximum.at(complete_at, idx[ok], known_at[ok])
    expected = np.ones(n_days, np.int64) if s.daily else (b1 - b0) // s.interval
    complete = (expected > 0) & (count == expected)
    complete_at = np.where(complete, complete_at, NEVER)
    return days, total, complete, complete_at, b0, b1


def known_lag(values: np.ndarray, known_at: np.ndarray, row_index: np.ndarray, lag: int, at: np.ndarray) -> np.ndarray:
    """values[row_index - lag] where it was known by `at`, else NaN."""
    j = row_index - lag
    inside = j >= 0
    jj = np.where(inside, j, 0)
    ok = inside & (known_at[jj] <= at)
    return np.where(ok, values[jj], np.nan)


def nanmean_min(stack: np.ndarray, minimum: int) -> np.ndarray:
    n = np.isfinite(stack).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.nansum(stack, axis=1) / n
    return np.where(n >= minimum, m, np.nan)


def nanstd_min(stack: np.ndarray, minimum: int) -> np.ndarray:
    n = np.isfinite(stack).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.nansum(stack, axis=1) / n
        v = np.nansum((stack - m[:, None]) ** 2, axis=1) / (n - 1)
    return np.where(n >= max(minimum, 2), np.sqrt(v), np.nan)


def recent_rate(s: Series, at: np.ndarray) -> np.ndarray:
    """kWh per day over the last 24 hours of readings known at each decision time."""
    out = np.full(len(at), np.nan)
    if s.daily:
        return out  # a daily meter's last day is already in the lags
    for i, a in enumerate(at):
        lo, hi = np.searchsorted(s.start, [a - 4 * 86400, a])
        sel = np.arange(lo, hi)
        sel = sel[s.usable[sel] & (s.known_at[sel] <= a)]
        if sel.size == 0:
            continue
        end = s.start[sel[-1]] + s.interval
        sel = sel[s.start[sel] >= end - 86400]
        if sel.size * s.interval >= 12 * 3600:
            out[i] = s.energy[sel].mean() * 86400 / s.interval
    return out


def temperatures(weather, lo: np.ndarray, hi: np.ndarray):
    """Mean, minimum and maximum of the observations in [lo, hi) (NaN without any)."""
    n = len(lo)
    if weather is None:
        return np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    t, v = weather
    a, b = np.searchsorted(t, lo), np.searchsorted(t, hi)
    csum = np.concatenate([[0.0], np.cumsum(v)])
    cnt = b - a
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(cnt > 0, (csum[b] - csum[a]) / cnt, np.nan)
    mn, mx = np.full(n, np.nan), np.full(n, np.nan)
    for i in np.flatnonzero(cnt > 0):
        seg = v[a[i]:b[i]]
        mn[i], mx[i] = seg.min(), seg.max()
    return mean, mn, mx


class HolidayCalendar:
    def __init__(self, country: str | None, subdivision: str | None, years: range):
        import holidays

        self.days: set = set()
        if country:
            try:
                h = holidays.country_holidays(country, subdiv=subdivision, years=years)
                self.days = set(np.datetime64(d, "D") for d in h.keys())
            except NotImplementedError:
                print(f"warning: no holidays for {country}", file=sys.stderr)

    def flag(self, days: np.ndarray) -> np.ndarray:
        return np.array([d in self.days for d in days], dtype=float)


def calendar_columns(days: np.ndarray, cal: HolidayCalendar) -> dict[str, np.ndarray]:
    ts = pd.DatetimeIndex(days.astype("datetime64[s]"))
    dow = ts.day_of_week.to_numpy()
    doy = ts.day_of_year.to_numpy() / 365.25 * 2 * np.pi
    cols = {"dow": dow.astype(float), **{f"dow_{k}": (dow == k).astype(float) for k in range(7)}}
    cols["weekend"] = (dow >= 5).astype(float)
    cols.update(doy_sin=np.sin(doy), doy_cos=np.cos(doy), doy_sin2=np.sin(2 * doy), doy_cos2=np.cos(2 * doy))
    one = np.timedelta64(1, "D")
    cols["holiday"] = cal.flag(days)
    cols["holiday_eve"] = cal.flag(days + one)  # tomorrow is a holiday
    cols["holiday_after"] = cal.flag(days - one)  # yesterday was one
    cols["holiday_d7"] = cal.flag(days - 7 * one)  # the seasonal lag's day was one
    md = ts.month.to_numpy() * 100 + ts.day.to_numpy()
    cols["christmas"] = ((md >= 1224) | (md <= 101)).astype(float)
    return cols


def build_rows(meter: Meter, s: Series, weather, target: Target, last_day: np.datetime64) -> Rows:
    """As-of feature rows of `meter` for every target day from its first reading to `last_day`."""
    tz = meter.timezone
    first = day_of(s.start[:1], target.day_start_hour, tz)[0]
    n_days = int((last_day - first).astype(np.int64)) + 1
    days, total, complete, complete_at, b0, b1 = daily_totals(s, target.day_start_hour, tz, first, n_days)
    at_day = decision_times(days, target, tz)
    country, subdivision = country_of(meter)
    years = pd.DatetimeIndex(days.astype("datetime64[s]")).year
    cal = HolidayCalendar(country, subdivision, range(int(years.min()) - 1, int(years.max()) + 2))
    t_mean, t_min, t_max = temperatures(weather, b0, b1)
    rate = recent_rate(s, at_day)
    day_index = np.arange(n_days)

    if not target.per_period:
        i, at = day_index, at_day
        lag = {k: known_lag(total, complete_at, i, k, at) for k in list(range(1, 30)) + [364]}
        x = {
            "last_known": _first_finite([lag[k] for k in range(1, 16)]),
            **{f"lag_{k}": lag[k] for k in (2, 3, 7, 14, 364)},
            "mean_7": nanmean_min(np.column_stack([lag[k] for k in range(2, 9)]), 4),
            "mean_28": nanmean_min(np.column_stack([lag[k] for k in range(2, 30)]), 14),
            "std_7": nanstd_min(np.column_stack([lag[k] for k in range(2, 9)]), 4),
            "same_weekday_mean_4": nanmean_min(np.column_stack([lag[k] for k in (7, 14, 21, 28)]), 2),
            "recent_24h_rate": rate,
            "hours_in_day": (b1 - b0) / 3600.0,
        }
        x.update(_weather_columns(t_mean, t_min, t_max, i))
        x.update(calendar_columns(days, cal))
        actual = np.where(complete, total, np.nan)
        return Rows(meter.meter_id, days, b0, at, pd.DataFrame(x), actual, complete_at, lag[7], x["last_known"])

    # One row per settlement period of each day: t from the day's start, every interval.
    step = s.interval
    n_per = np.maximum((b1 - b0 + step - 1) // step, 0)
    i = np.repeat(day_index, n_per)
    offset = np.arange(len(i)) - np.repeat(np.cumsum(n_per) - n_per, n_per)
    t = b0[i] + offset * step
    at = at_day[i]
    slot_min = max(step // 60, 1)
    n_slots = max(1440 // slot_min, 1)

    def slot_key(seconds):
        loc = local_naive(seconds, tz)
        return (loc.normalize().to_numpy().astype("datetime64[D]") - first).astype(np.int64), \
            ((loc.hour * 60 + loc.minute).to_numpy() // slot_min).astype(np.int64)

    # Grid of (local day, local slot) -> the usable reading there (the first one, on a 25-hour day).
    grid_e = np.full((n_days + 1, n_slots), np.nan)
    grid_k = np.full((n_days + 1, n_slots), NEVER, np.int64)
    rd, rs = slot_key(s.start)
    ok = s.usable & (rd >= 0) & (rd < n_days) & (rs < n_slots)
    for d_, s_, e_, k_ in zip(rd[ok][::-1], rs[ok][::-1], s.energy[ok][::-1], s.known_at[ok][::-1]):
        grid_e[d_, s_], grid_k[d_, s_] = e_, k_  # reversed: the first reading of a slot wins
    row_day, row_slot = slot_key(t)
    row_slot = np.minimum(row_slot, n_slots - 1)

    def slot_lag(k):
        j = row_day - k
        inside = j >= 0
        jj = np.where(inside, j, 0)
        ok_ = inside & (grid_k[jj, row_slot] <= at)
        return np.where(ok_, grid_e[jj, row_slot], np.nan)

    lag = {k: slot_lag(k) for k in list(range(1, 30)) + [364]}
    day_lag = {k: known_lag(total, complete_at, day_index, k, at_day)[i] for k in range(1, 16)}
    loc = local_naive(t, tz)
    hour = loc.hour.to_numpy()
    minute_of_day = (loc.hour * 60 + loc.minute).to_numpy()
    ang = 2 * np.pi * minute_of_day / 1440.0
    p_mean, _, _ = temperatures(weather, t - 1800, t + step + 1800)
    x = {
        "slot_last_known": _first_finite([lag[k] for k in range(1, 16)]),
        **{f"slot_lag_{k}": lag[k] for k in (1, 2, 7, 14, 364)},
        "slot_mean_7": nanmean_min(np.column_stack([lag[k] for k in range(1, 9)]), 4),
        "slot_mean_28": nanmean_min(np.column_stack([lag[k] for k in range(1, 30)]), 14),
        "slot_std_7": nanstd_min(np.column_stack([lag[k] for k in range(1, 9)]), 4),
        "slot_same_weekday_mean_4": nanmean_min(np.column_stack([lag[k] for k in (7, 14, 21, 28)]), 2),
        "day_last_known": _first_finite([day_lag[k] for k in range(1, 16)]),
        "day_mean_7": nanmean_min(np.column_stack([day_lag[k] for k in range(1, 9)]), 4),
        "recent_24h_rate": rate[i],
        "hour": hour.astype(float),
        "slot_sin": np.sin(ang),
        "slot_cos": np.cos(ang),
        **{f"hour_{h}": (hour == h).astype(float) for h in range(24)},
        "temp_period": p_mean,
    }
    x.update({k: v[i] for k, v in _weather_columns(t_mean, t_min, t_max, day_index).items()})
    x.update({k: v[i] for k, v in calendar_columns(days, cal).items()})
    # The actual: the reading that starts exactly at t, if usable.
    pos = np.searchsorted(s.start, t)
    posc = np.minimum(pos, len(s.start) - 1)
    hit = (pos < len(s.start)) & (s.start[posc] == t) & s.usable[posc]
    actual = np.where(hit, s.energy[posc], np.nan)
    known = np.where(hit, s.known_at[posc], NEVER)
    return Rows(meter.meter_id, days[i], t, at, pd.DataFrame(x), actual, known, lag[7], x["slot_last_known"])


def _first_finite(columns: list[np.ndarray]) -> np.ndarray:
    out = np.full(len(columns[0]), np.nan)
    for c in reversed(columns):
        out = np.where(np.isfinite(c), c, out)
    return out


def _weather_columns(t_mean, t_min, t_max, i) -> dict[str, np.ndarray]:
    def shifted(v, k):
        j = i - k
        return np.where(j >= 0, v[np.maximum(j, 0)], np.nan)

    return {
        "temp_mean": t_mean, "temp_min": t_min, "temp_max": t_max,
        "hdd_15_5": np.maximum(15.5 - t_mean, 0), "hdd_18": np.maximum(18.0 - t_mean, 0),
        "cdd_22": np.maximum(t_mean - 22.0, 0),
        "temp_mean_d7": shifted(t_mean, 7), "temp_mean_d2": shifted(t_mean, 2),
    }


# --------------------------------------------------------------------------- models


class SeasonalNaive:
    name = "seasonal-naive"

    def fit_predict(self, rows: Rows, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        y = rows.actual[train]
        fallback = float(np.mean(y)) if y.size else 0.0
        out = np.where(np.isfinite(rows.same_weekday[test]), rows.same_weekday[test], rows.last_known[test])
        return np.where(np.isfinite(out), out, fallback)


class Sklearn:
    """A scikit-learn style regressor on the columns it takes: linear models take the one-hot
    weekday and hour columns, trees their integer codes."""

    def __init__(self, name: str, make, trees: bool):
        self.name, self.make, self.trees = name, make, trees
        self._cache = (None, None)

    def columns(self, names) -> list[str]:
        onehot = lambda c: c.startswith("dow_") or c.startswith("hour_")
        if self.trees:
            return [c for c in names if not onehot(c)]
        return [c for c in names if c not in ("dow", "hour")]

    def fit_predict(self, rows: Rows, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        if self._cache[0] is not rows:
            self._cache = (rows, rows.x[self.columns(rows.x.columns)].to_numpy(np.float64))
        x = self._cache[1]
        model = self.make()
        model.fit(x[train], rows.actual[train])
        return model.predict(x[test])


def linear(kind: str):
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LinearRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    reg = LinearRegression if kind == "ols" else (lambda: Ridge(alpha=1.0))
    return lambda: make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler(), reg())


def lightgbm(quantile: float | None = None, n_estimators: int = 500):
    import lightgbm as lgb

    params = dict(n_estimators=n_estimators, learning_rate=0.05, num_leaves=31, random_state=SEED, deterministic=True,
                  force_row_wise=True, num_threads=THREADS, verbosity=-1)
    if quantile is not None:
        params.update(objective="quantile", alpha=quantile)
    return lambda: lgb.LGBMRegressor(**params)


def peer_models(tau: float, n_estimators: int = 500) -> list:
    return [
        SeasonalNaive(),
        Sklearn("LinearRegression", linear("ols"), trees=False),
        Sklearn("Ridge", linear("ridge"), trees=False),
        Sklearn("LightGBM", lightgbm(None, n_estimators), trees=True),
        Sklearn(f"LightGBM-q{tau:g}", lightgbm(tau, n_estimators), trees=True),
    ]


# --------------------------------------------------------------------------- walk-forward


def test_chunks(test_from: np.datetime64, test_to: np.datetime64) -> list[tuple[np.datetime64, np.datetime64]]:
    days = np.arange(test_from, test_to + np.timedelta64(1, "D"))
    return [(days[k], days[min(k + REFIT_DAYS, len(days)) - 1]) for k in range(0, len(days), REFIT_DAYS)]


def walk_forward(rows: Rows, model, test_from, test_to) -> pd.DataFrame:
    """Forecasts of every row of the test period: refitted every 7 target days on the rows whose
    actual was known at the earliest decision of those days."""
    finite = np.isfinite(rows.actual)
    parts = []
    for lo, hi in test_chunks(test_from, test_to):
        test = np.flatnonzero((rows.day >= lo) & (rows.day <= hi))
        if test.size == 0:
            continue
        refit_at = rows.decision_at[test].min()
        train = np.flatnonzero(finite & (rows.actual_known_at <= refit_at))
        if train.size == 0:
            pred = np.full(test.size, np.nan)
        else:
            pred = model.fit_predict(rows, train, test)
        parts.append(pd.DataFrame({"meter_id": rows.meter_id, "day": rows.day[test], "start": rows.start[test],
                                   "forecast_kwh": pred, "actual_kwh": rows.actual[test]}))
    cols = ["meter_id", "day", "start", "forecast_kwh", "actual_kwh"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def score(f: pd.DataFrame, costs: Costs) -> dict:
    ok = np.isfinite(f["actual_kwh"].to_numpy(float)) & np.isfinite(f["forecast_kwh"].to_numpy(float))
    fc, ac = f["forecast_kwh"].to_numpy(float)[ok], f["actual_kwh"].to_numpy(float)[ok]
    return dict(n=int(ok.sum()), mae=float(np.abs(fc - ac).mean()) if ok.any() else float("nan"),
                euros=costs.euros(fc, ac))


# --------------------------------------------------------------------------- vader side


def wait_for_vader(path: Path) -> None:
    ready = path.parent / "READY"
    if path == Path(DEFAULT_VADER):
        waited = 0
        while not ready.exists():
            if waited == 0:
                print(f"waiting for {ready} ...", file=sys.stderr)
            time.sleep(30)
            waited += 30
    if not path.exists():
        raise SystemExit(f"no vader binary at {path} (--vader PATH)")


def run_vader(vader: Path, data: str, target: Target, meters: list[str] | None, out: Path, extra: list[str]) -> dict:
    models = VADER_MODELS + ("" if target.per_period else VADER_DAILY_ONLY)
    cmd = [str(vader), "backtest", "--data", data, "--target", target.name, "--models", models,
           "--format", "json", "--out", str(out), *extra]
    if meters:
        cmd += ["--meters", ",".join(meters)]
    t0 = time.perf_counter()
    proc = subprocess.run(["nice", "-n", "10", *cmd], cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        message = " ".join(proc.stderr.strip().splitlines()[-1:]) or f"exit status {proc.returncode}"
        return {"_cmd": shlex.join(cmd), "_error": message, "_seconds": time.perf_counter() - t0}
    summary = json.loads(proc.stdout)
    summary["_cmd"], summary["_seconds"] = shlex.join(cmd), time.perf_counter() - t0
    return summary


def vader_leaderboard(summary: dict) -> list[dict]:
    board = summary.get("leaderboard") or summary.get("scores", {}).get("leaderboard")
    if board is None:
        raise SystemExit(f"no leaderboard in vader's JSON (keys: {sorted(summary)})")
    return board


def vader_run_info(summary: dict) -> dict:
    return summary.get("run") or summary.get("info") or {}


# --------------------------------------------------------------------------- one data group


@dataclass
class Group:
    data: str
    target: Target
    meters: list[str]  # meter ids of the group
    vader_meters: list[str] | None  # passed to vader --meters (None: vader picks by commodity)
    label: str


def groups_of(data: str, meters: dict[str, Meter], series: dict[str, Series], electricity_target: Target) -> list[Group]:
    out = []
    gas = [m for m, v in meters.items() if v.commodity == "gas" and m in series]
    elec = [m for m, v in meters.items() if v.commodity == "electricity" and m in series]
    if gas:
        out.append(Group(data, GAS_DAY, sorted(gas), None, "gas"))
    if elec:
        vm = sorted(elec) if electricity_target == DAILY else None  # vader's daily takes every meter
        out.append(Group(data, electricity_target, sorted(elec), vm, "electricity"))
    return out


def test_from_of(args, data: str) -> str | None:
    """--test-from, else the dataset's own default (DATASET_TEST_FROM), else None (365 days)."""
    return args.test_from or DATASET_TEST_FROM.get(data.rstrip("/"))


def group_period(group: Group, meters, series, test_from: str | None, test_to: str | None):
    last = max(day_of(series[m].start[-1:], group.target.day_start_hour, meters[m].timezone)[0] for m in group.meters)
    to = np.datetime64(test_to) if test_to else last
    fr = np.datetime64(test_from) if test_from else to - np.timedelta64(TEST_DAYS - 1, "D")
    return fr, to


def run_group(group: Group, meters, series, weather, costs: Costs, args, log) -> dict:
    test_from, test_to = group_period(group, meters, series, test_from_of(args, group.data), args.test_to)
    models = peer_models(costs.tau)
    forecasts = {m.name: [] for m in models}
    seconds = {m.name: 0.0 for m in models}
    feature_seconds = 0.0
    for meter_id in group.meters:
        meter = meters[meter_id]
        t0 = time.perf_counter()
        rows = build_rows(meter, series[meter_id], weather.get(meter.site), group.target, test_to)
        feature_seconds += time.perf_counter() - t0
        log(f"  {meter_id}: {len(rows.actual)} rows, {rows.x.shape[1]} features ({time.perf_counter() - t0:.1f} s)")
        in_test = (rows.day >= test_from) & (rows.day <= test_to)
        if not np.isfinite(rows.actual[in_test]).any():
            # Nothing of this meter can be scored in the group's test period (its readings end
            # before it, say): its replay is skipped, which changes no scored figure.
            log(f"  {meter_id}: no actual in the test period, not replayed")
            continue
        for model in models:
            t0 = time.perf_counter()
            f = walk_forward(rows, model, test_from, test_to)
            seconds[model.name] += time.perf_counter() - t0
            forecasts[model.name].append(f)
    result = {"test_from": str(test_from), "test_to": str(test_to), "models": {}, "feature_seconds": feature_seconds}
    for model in models:
        f = pd.concat(forecasts[model.name], ignore_index=True) if forecasts[model.name] else pd.DataFrame(
            {"meter_id": [], "day": [], "start": [], "forecast_kwh": [], "actual_kwh": []})
        s = score(f, costs)
        s["seconds"] = seconds[model.name]
        s["per_meter"] = {m: score(f[f["meter_id"] == m], costs)["n"] for m in group.meters}
        result["models"][model.name] = s
        result.setdefault("forecasts", {})[model.name] = f
    return result


def seasonal_naive_match(vader_out: Path, peer: pd.DataFrame) -> str:
    v = pd.read_parquet(vader_out / "forecasts.parquet")
    v = v[v["model"] == "seasonal-naive"]
    v = v.assign(day=pd.to_datetime(v["day"]).dt.strftime("%Y-%m-%d"))
    p = peer.assign(day=pd.to_datetime(peer["day"]).dt.strftime("%Y-%m-%d"))
    key = ["meter_id", "day"] + (["start"] if "start" in v.columns else [])
    if "start" in v.columns:
        v = v.assign(start=_to_seconds(v["start"]))
    # The scored rows of each side (a known actual), matched by meter, day and interval start.
    v, p = v[np.isfinite(v["actual_kwh"])], p[np.isfinite(p["actual_kwh"])]
    m = p.merge(v[key + ["forecast_kwh", "actual_kwh"]], on=key, how="outer", suffixes=("_peer", "_vader"),
                indicator=True)
    scored = m[m["_merge"] == "both"]
    same_actual = np.allclose(scored["actual_kwh_peer"], scored["actual_kwh_vader"], rtol=1e-12, atol=1e-9)
    d = (scored["forecast_kwh_peer"] - scored["forecast_kwh_vader"]).abs()
    differ = int((d > 1e-6).sum())
    return (f"{len(scored)} scored rows on both sides, {int((m['_merge'] == 'left_only').sum())} scored by the peer "
            f"only, {int((m['_merge'] == 'right_only').sum())} by vader only; actuals "
            f"{'identical' if same_actual else 'DIFFER'}; forecasts differ by more than 1e-6 kWh on {differ} rows "
            f"(max |difference| {d.max() if len(d) else float('nan'):.3g} kWh)")


def _to_seconds(col: pd.Series) -> pd.Series:
    if pd.api.types.is_integer_dtype(col):
        return col.astype(np.int64)
    ts = pd.to_datetime(col, utc=True)
    return ((ts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).astype(np.int64)


# --------------------------------------------------------------------------- table


def kwh(v: float) -> str:
    return f"{v:.4f}" if abs(v) < 1 else (f"{v:.3f}" if abs(v) < 1000 else f"{v:,.0f}")


def eur(v: float) -> str:
    return f"{v:.3f}" if abs(v) < 10 else (f"{v:.2f}" if abs(v) < 1000 else f"{v:,.0f}")


def pct_lower(winner: float, loser: float) -> float:
    return 100.0 * (loser - winner) / loser if loser else float("nan")


def build_report(results: list[dict], header_lines: list[str]) -> str:
    lines = header_lines + [""]
    lines += ["| dataset | target | meters scored | side | model | forecasts | MAE (kWh) | euros |",
              "|---|---|---|---|---|--:|--:|--:|"]
    verdicts, matches = [], []
    for r in results:
        g = r["group"]
        first = True
        label = f"{g.data} ({g.label})"
        scored = ", ".join(m for m in g.meters if r["peer"]["models"]["seasonal-naive"]["per_meter"].get(m, 0) > 0)
        for row in r["vader_rows"]:
            lines.append(f"| {label if first else ''} | {g.target.name if first else ''} | {scored if first else ''} "
                         f"| vader | {row['model']} | {row['n']} | {kwh(row['mae'])} | {eur(row['euros'])} |")
            first = False
        if r.get("vader_error"):
            lines.append(f"| {label} | {g.target.name} | {scored} | vader | every model: fails (`{r['vader_error']}`) "
                         f"| 0 | - | - |")
            first = False
        for name, s in r["peer"]["models"].items():
            lines.append(f"| | | | peer | {name} | {s['n']} | {kwh(s['mae'])} | {eur(s['euros'])} |")
        pm = r["peer"]["models"]
        if not r["vader_rows"]:
            pb = min(pm.items(), key=lambda kv: kv[1]["mae"])
            verdicts.append(f"- {label}, {g.target.name}, test days {r['peer']['test_from']} to {r['peer']['test_to']}: "
                            f"**peer** by default: vader fails (`{r.get('vader_error', 'no result')}`); the peer's "
                            f"best is {pb[0]} (MAE {kwh(pb[1]['mae'])} kWh, {eur(pb[1]['euros'])} EUR)")
            if r["period_note"]:
                verdicts.append(f"  - {r['period_note']}")
            continue
        vb_mae = min(r["vader_rows"], key=lambda x: x["mae"])
        vb_eur = min(r["vader_rows"], key=lambda x: x["euros"])
        pm = r["peer"]["models"]
        pb_mae = min(pm.items(), key=lambda kv: kv[1]["mae"])
        pb_eur = min(pm.items(), key=lambda kv: kv[1]["euros"])

        def says(what, v_name, v, p_name, p, fmt):
            if v <= p:
                return f"{what}: **vader** ({v_name} {fmt(v)} against {p_name} {fmt(p)}, {pct_lower(v, p):.1f} % lower)"
            return f"{what}: **peer** ({p_name} {fmt(p)} against vader's {v_name} {fmt(v)}, {pct_lower(p, v):.1f} % lower)"

        verdicts.append(
            f"- {label}, {g.target.name}, test days {r['peer']['test_from']} to {r['peer']['test_to']}: "
            + says("MAE", vb_mae["model"], vb_mae["mae"], pb_mae[0], pb_mae[1]["mae"], lambda v: f"{kwh(v)} kWh")
            + "; " + says("euros", vb_eur["model"], vb_eur["euros"], pb_eur[0], pb_eur[1]["euros"], lambda v: f"{eur(v)} EUR")
        )
        vs = next((x for x in r["vader_rows"] if x["model"] == "seasonal-naive"), None)
        ps = pm["seasonal-naive"]
        if vs:
            matches.append(f"- {label}, {g.target.name}: vader seasonal-naive MAE {vs['mae']:.6f} kWh, "
                           f"euros {vs['euros']:.4f}; peer {ps['mae']:.6f} kWh, euros {ps['euros']:.4f} "
                           f"({vs['n']} and {ps['n']} forecasts); row by row: {r['match']}")
        if r["period_note"]:
            verdicts.append(f"  - {r['period_note']}")
    lines += ["", "Which side's best model wins (the best model of each side, chosen separately on each figure):", ""]
    lines += verdicts
    lines += ["", "Seasonal-naive check (the same rule on both sides, so equal figures mean the same rows, actuals "
              "and information set):", ""]
    lines += matches
    lines += ["", "Time, wall clock, both sides run one after the other in this run under `nice -n 10` (the peer: "
              "reading the folder excluded, its features and the walk-forward of each of its models; vader: the "
              "whole `vader backtest` process, its models, calibration, A/B tests, report and plots included):", "",
              "| data | target | peer: features + models, s | vader: whole run, s | peer / vader |",
              "| --- | --- | ---: | ---: | ---: |"]
    for r in results:
        g, p = r["group"], r["peer"]
        models = sum(m["seconds"] for m in p["models"].values())
        v = r.get("vader_seconds")
        ratio = f"{p['seconds'] / v:.1f}" if v else "-"
        vader = f"{v:.1f}" if v else "-"
        lines.append(f"| {g.data} ({g.label}) | {g.target.name} | {p['feature_seconds']:.1f} + {models:.1f} "
                     f"| {vader} | {ratio} |")
    return "\n".join(lines) + "\n"


def versions() -> str:
    import holidays
    import lightgbm
    import sklearn

    return (f"Python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}, scikit-learn "
            f"{sklearn.__version__}, lightgbm {lightgbm.__version__}, holidays {holidays.__version__}")


def binary_time(path: Path) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(path.stat().st_mtime))
    except OSError:
        return "?"


def machine() -> str:
    cpu = "?"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        kb = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
        mem = f", {kb / 1024 / 1024:.0f} GB"
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}"


# --------------------------------------------------------------------------- main


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", action="append", help="data folder, relative to the repository root (repeatable); "
                    "default: every one of " + ", ".join(DEFAULT_DATA) + " that exists")
    ap.add_argument("--vader", default=DEFAULT_VADER, help=f"vader binary (default {DEFAULT_VADER}, waited for)")
    ap.add_argument("--electricity-target", choices=["electricity-day", "daily"], default="electricity-day")
    ap.add_argument("--test-from", help="first target day (default: test_to - 364 days)")
    ap.add_argument("--test-to", help="last target day (default: the day of the group's last reading)")
    ap.add_argument("--data-delay-hours", type=float, default=2.0)
    ap.add_argument("--gas-price", type=float, default=35.0)
    ap.add_argument("--gas-small-adjustment-long", type=float, default=0.02)
    ap.add_argument("--gas-small-adjustment-short", type=float, default=0.02)
    ap.add_argument("--electricity-price", type=float, default=60.0)
    ap.add_argument("--electricity-k-long", type=float, default=0.05)
    ap.add_argument("--electricity-k-short", type=float, default=0.05)
    ap.add_argument("--out", default=str(HERE / "independent-results.md"), help="Markdown table written here")
    ap.add_argument("--work", default="/tmp/independent-peer", help="vader's reports and the peer's forecasts")
    ap.add_argument("--skip-vader", action="store_true", help="peer only (no table comparison)")
    ap.add_argument("--meters", help="only these meters (comma-separated ids; vader gets --meters too), e.g. a "
                    "meter whose readings end before its folder's common test period")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)
    started = dt.datetime.now(dt.timezone.utc)
    datas = args.data or [d for d in DEFAULT_DATA if (REPO / d / "meters.csv").exists()]
    if not datas:
        raise SystemExit("no data folder")
    asym = [(args.gas_small_adjustment_long, args.gas_small_adjustment_short), (args.electricity_k_long,
                                                                                args.electricity_k_short)]
    if any(a != b for a, b in asym):
        log("note: asymmetric prices are applied to the peer only; vader is run at its cost-file defaults")
    vader = Path(args.vader)
    if not args.skip_vader:
        wait_for_vader(vader)
    electricity_target = ELECTRICITY_DAY if args.electricity_target == "electricity-day" else DAILY
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for data in datas:
        meters, series, weather = read_folder(REPO / data, int(args.data_delay_hours * 3600))
        groups = groups_of(data, meters, series, electricity_target)
        if args.meters:
            keep = set(args.meters.split(","))
            groups = [Group(g.data, g.target, [m for m in g.meters if m in keep], [m for m in g.meters if m in keep],
                            g.label + ": " + ", ".join(m for m in g.meters if m in keep))
                      for g in groups if keep & set(g.meters)]
        for group in groups:
            costs = gas_costs(args.gas_price, args.gas_small_adjustment_long, args.gas_small_adjustment_short) \
                if group.label == "gas" else electricity_costs(args.electricity_price, args.electricity_k_long,
                                                               args.electricity_k_short)
            log(f"{data} {group.label} on {group.target.name}: meters {', '.join(group.meters)}")
            t0 = time.perf_counter()
            peer = run_group(group, meters, series, weather, costs, args, log)
            peer["seconds"] = time.perf_counter() - t0
            log(f"  peer done in {peer['seconds']:.0f} s")
            slug = "".join(c if c.isalnum() or c in "._-" else "-" for c in f"{Path(data).name}-{group.label}-{group.target.name}")
            for name, f in peer["forecasts"].items():
                f.to_parquet(work / f"peer-{slug}-{name}.parquet", index=False)
            r = {"group": group, "peer": peer, "vader_rows": [], "match": "", "period_note": ""}
            unscored = [m for m in group.meters if peer["models"]["seasonal-naive"]["per_meter"].get(m, 0) == 0]
            if unscored:
                r["period_note"] = (f"{', '.join(unscored)}: no reading in the common test period "
                                    f"{peer['test_from']} to {peer['test_to']}, so not scored on either side")
            if not args.skip_vader:
                out = work / f"vader-{slug}"
                extra = []
                if test_from_of(args, data):
                    extra += ["--test-from", test_from_of(args, data)]
                if args.test_to:
                    extra += ["--test-to", args.test_to]
                t0 = time.perf_counter()
                summary = run_vader(vader, data, group.target, group.vader_meters, out, extra)
                log(f"  vader done in {time.perf_counter() - t0:.0f} s")
                r["vader_cmd"], r["vader_seconds"] = summary["_cmd"], summary["_seconds"]
                if "_error" in summary:
                    log(f"  vader FAILED: {summary['_error']}")
                    r["vader_error"] = summary["_error"]
                    results.append(r)
                    continue
                info = vader_run_info(summary)
                if info and (str(info.get("test_from")), str(info.get("test_to"))) != (peer["test_from"], peer["test_to"]):
                    log(f"  WARNING: vader's test period {info.get('test_from')} to {info.get('test_to')}")
                r["vader_info"] = info
                for row in vader_leaderboard(summary):
                    r["vader_rows"].append(dict(model=row["model"], n=row["metrics"]["n"], mae=row["metrics"]["mae"],
                                                euros=row["euros"]))
                r["vader_rows"].sort(key=lambda x: x["euros"])
                r["match"] = seasonal_naive_match(out, peer["forecasts"]["seasonal-naive"])
                log(f"  seasonal-naive: {r['match']}")
            results.append(r)
    if args.skip_vader:
        for r in results:
            for name, s in r["peer"]["models"].items():
                print(f"{r['group'].data} {r['group'].target.name} {name}: n {s['n']} MAE {s['mae']:.4f} kWh "
                      f"euros {s['euros']:.3f} ({s['seconds']:.1f} s)")
        return 0
    command = "nice -n 10 benches/peers/.venv-independent/bin/python benches/peers/independent_peer.py" + (
        (" " + shlex.join(argv if argv is not None else sys.argv[1:])) if (argv or sys.argv[1:]) else "")
    head = subprocess.run(["git", "log", "-1", "--format=%h"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    header = [
        "# The independent peer against vader, on real data",
        "",
        f"Command (from the repository root): `{command}`",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC on {machine()}; {versions()}; vader binary `{vader}` "
        f"(built from main, modified {binary_time(vader)}; repository HEAD {head} when run). Peer: "
        "[`independent_peer.py`](independent_peer.py), its own features from the raw readings; vader: "
        "`vader backtest --models " + VADER_MODELS + " --format json` on the same folder and target (with `"
        + VADER_DAILY_ONLY.lstrip(",") + "` on daily targets: too slow on settlement periods).",
        "",
        "Protocol on both sides: gas meters on `gas-day` (06:00 to 06:00 local, decided D-1 14:00), electricity "
        f"meters on `{electricity_target.name}` ("
        + ("each settlement period of calendar day D, decided D-1 11:00" if electricity_target.per_period
           else "calendar-day total, decided D-1 14:00")
        + "); readings known 2 h after their interval ends; the last 365 target days of each group; refits every "
        "7 target days on an expanding window of rows whose actual was known at the refit; point decisions. MAE in "
        "kWh per gas day (gas) or per settlement period (electricity); euros summed over the test period at "
        "SPEC.md's defaults: gas 0.7 EUR per MWh of imbalance either way (35 EUR/MWh, 2 % small adjustment), "
        "electricity 3 EUR/MWh either way (60 EUR/MWh, k = 0.05).",
    ]
    report = build_report(results, header)
    vader_cmds = "\n".join(f"- `{r['vader_cmd']}`" for r in results if r.get("vader_cmd"))
    report += "\nvader commands run (from the repository root):\n\n" + vader_cmds + "\n"
    print(report)
    Path(args.out).write_text(report)
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
