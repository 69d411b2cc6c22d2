"""Tests of the independent peer's information set and protocol (pytest).

    benches/peers/.venv-independent/bin/python -m pytest benches/peers/test_independent_peer.py -q

The central test perturbs every reading that arrived after a decision time and checks that the
forecast made at that time does not move, for every peer model and both targets: no feature, and
no training row, of a forecast can see a reading that had not arrived.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import independent_peer as ip  # noqa: E402

HOUR = 3600
DAY = 86400


def synthetic_folder(tmp: Path, days: int = 75, seed: int = 7) -> Path:
    """A gas meter (hourly, Europe/Paris) and an electricity meter (half-hourly, Europe/London),
    with late readings (received_at), a gap, and hourly temperatures."""
    rng = np.random.default_rng(seed)
    t0 = int(pd.Timestamp("2024-01-01T00:00:00Z").timestamp())
    rows = []
    for meter, step in (("G1", HOUR), ("E1", 1800)):
        n = days * DAY // step
        t = t0 + np.arange(n) * step
        hours = (t // HOUR) % 24
        dow = (t // DAY + 3) % 7  # 2024-01-01 is a Monday
        base = 10 + 5 * np.sin(2 * np.pi * hours / 24) + 3 * (dow < 5) + rng.normal(0, 1, n)
        energy = np.maximum(base, 0) * step / HOUR
        delay = step + 2 * HOUR + rng.integers(0, 90, n) * 60
        late = rng.random(n) < 0.03
        delay[late] += rng.integers(3, 40, late.sum()) * HOUR
        keep = np.ones(n, bool)
        keep[(t >= t0 + 40 * DAY) & (t < t0 + 41 * DAY + 5 * HOUR)] = False  # a gap
        for ti, e, d in zip(t[keep], energy[keep], delay[keep]):
            rows.append((meter, pd.Timestamp(int(ti), unit="s", tz="UTC").isoformat().replace("+00:00", "Z"),
                         round(float(e), 4),
                         pd.Timestamp(int(ti + d), unit="s", tz="UTC").isoformat().replace("+00:00", "Z")))
    folder = tmp / "data"
    folder.mkdir()
    pd.DataFrame(rows, columns=["meter_id", "timestamp", "energy_kwh", "received_at"]).to_csv(
        folder / "readings.csv", index=False)
    (folder / "meters.csv").write_text(
        "meter_id,name,site,commodity,capacity_kwh_per_day,timezone\n"
        "G1,gas,s1,gas,500,Europe/Paris\nE1,elec,s2,electricity,,Europe/London\n")
    wt = t0 + np.arange(days * 24 + 48) * HOUR
    temp = 5 + 5 * np.sin(2 * np.pi * (wt % DAY) / DAY) + rng.normal(0, 1, len(wt))
    w = [(s, pd.Timestamp(int(x), unit="s", tz="UTC").isoformat().replace("+00:00", "Z"), round(float(v), 2))
         for s in ("s1", "s2") for x, v in zip(wt, temp)]
    pd.DataFrame(w, columns=["site", "timestamp", "temperature_c"]).to_csv(folder / "weather.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return synthetic_folder(tmp_path_factory.mktemp("peer"))


def forecasts_for(meter, series, weather, target, test_from, test_to, models):
    rows = ip.build_rows(meter, series, weather, target, test_to)
    return rows, {m.name: ip.walk_forward(rows, m, test_from, test_to) for m in models}


@pytest.mark.parametrize("meter_id,target", [("G1", ip.GAS_DAY), ("E1", ip.ELECTRICITY_DAY)])
def test_readings_that_arrive_after_a_decision_do_not_change_it(folder, meter_id, target):
    meters, series, weather = ip.read_folder(folder, 2 * HOUR)
    meter, s = meters[meter_id], series[meter_id]
    w = weather.get(meter.site)
    test_to = ip.day_of(s.start[-1:], target.day_start_hour, meter.timezone)[0]
    test_from = test_to - np.timedelta64(13, "D")
    models = ip.peer_models(0.5, n_estimators=60)  # fewer trees than the peer's 500: same code, faster
    rows, base = forecasts_for(meter, s, w, target, test_from, test_to, models)
    in_test = np.flatnonzero((rows.day >= test_from) & (rows.day <= test_to))
    # Decisions at the start, the middle (first day of the second refit) and the end of the period.
    picks = [in_test[0], in_test[len(in_test) // 2], in_test[-1]]
    rng = np.random.default_rng(1)
    for r in picks:
        at = rows.decision_at[r]
        late = s.known_at > at
        assert late.any() and (~late).any()
        energy = s.energy.copy()
        energy[late] = energy[late] * rng.uniform(0.1, 10.0, late.sum()) + 50.0
        energy[late & (rng.random(len(energy)) < 0.2)] = np.nan  # some become missing
        perturbed = ip.Series(s.meter_id, s.start, energy, s.known_at, s.interval)
        rows2, after = forecasts_for(meter, perturbed, w, target, test_from, test_to, models)
        # The row's own features are unchanged...
        pd.testing.assert_series_equal(rows.x.iloc[r], rows2.x.iloc[r], check_names=False)
        # ... and so is every model's forecast made at that decision time.
        key = (rows.day[r], rows.start[r])
        for name in base:
            f0, f1 = base[name], after[name]
            sel0 = (f0["day"] == key[0]) & (f0["start"] == key[1])
            sel1 = (f1["day"] == key[0]) & (f1["start"] == key[1])
            assert sel0.sum() == 1 and sel1.sum() == 1
            assert f0.loc[sel0, "forecast_kwh"].item() == f1.loc[sel1, "forecast_kwh"].item(), (name, key)
        # The perturbation is not a no-op: some later forecast moved.
        moved = (base["seasonal-naive"]["forecast_kwh"].to_numpy() != after["seasonal-naive"]["forecast_kwh"].to_numpy())
        if r != picks[-1]:
            assert moved.any()


def test_a_gas_day_is_known_only_once_all_its_readings_are():
    tz = "Europe/Paris"
    # Gas day 2024-03-30 has 23 hours (spring change); 2024-10-26 has 25.
    days = np.array(["2024-03-30", "2024-03-31", "2024-10-26"], dtype="datetime64[D]")
    b0, b1 = ip.day_bounds(days, 6, tz)
    assert list((b1 - b0) // HOUR) == [23, 24, 25]
    start = int(pd.Timestamp("2024-10-26T04:00:00Z").timestamp())
    t = start + np.arange(26) * HOUR
    known = t + HOUR + 2 * HOUR
    s = ip.Series("M", t, np.ones(26), known, HOUR)
    d, total, complete, complete_at, _, _ = ip.daily_totals(s, 6, tz, np.datetime64("2024-10-26"), 2)
    assert total[0] == 25 and complete[0] and not complete[1]
    assert complete_at[0] == start + 25 * HOUR + 2 * HOUR
    # At D-1 14:00 the last complete gas day is D-2.
    at = ip.decision_times(np.array(["2024-10-28"], dtype="datetime64[D]"), ip.GAS_DAY, tz)[0]
    assert pd.Timestamp(at, unit="s", tz="UTC").tz_convert(tz).strftime("%Y-%m-%d %H:%M") == "2024-10-27 14:00"


def test_seasonal_naive_takes_last_week_then_the_last_known_value_then_the_mean():
    x = pd.DataFrame({"a": [0.0, 0.0, 0.0]})
    rows = ip.Rows("M", np.array(["2024-01-01"] * 3, dtype="datetime64[D]"), np.zeros(3, np.int64),
                   np.zeros(3, np.int64), x, np.array([4.0, 6.0, 8.0]), np.zeros(3, np.int64),
                   np.array([5.0, np.nan, np.nan]), np.array([1.0, 2.0, np.nan]))
    out = ip.SeasonalNaive().fit_predict(rows, np.arange(3), np.arange(3))
    assert list(out) == [5.0, 2.0, 6.0]


def test_costs_at_the_spec_defaults():
    gas, el = ip.gas_costs(), ip.electricity_costs()
    assert gas.long == pytest.approx(0.7) and gas.short == pytest.approx(0.7) and gas.tau == 0.5
    assert el.long == pytest.approx(3.0) and el.short == pytest.approx(3.0)
    # 2 MWh long and 1 MWh short: 3 MWh of imbalance at 0.7 EUR/MWh.
    assert gas.euros(np.array([3000.0, 0.0]), np.array([1000.0, 1000.0])) == pytest.approx(2.1)
    assert ip.gas_costs(small_adjustment_long=0.01, small_adjustment_short=0.03).tau == pytest.approx(0.75)


def test_country_from_the_time_zone_unless_given():
    m = lambda tz, c=None: ip.Meter("M", "s", "gas", tz, c, None)
    assert ip.country_of(m("Europe/Paris")) == ("FR", None)
    assert ip.country_of(m("Europe/London")) == ("GB", None)
    assert ip.country_of(m("America/Los_Angeles")) == ("US", None)
    assert ip.country_of(m("Australia/Melbourne")) == ("AU", None)
    assert ip.country_of(m("Europe/Paris", "DE")) == ("DE", None)


def test_the_test_period_is_the_last_365_days_of_the_group(folder):
    meters, series, weather = ip.read_folder(folder, 2 * HOUR)
    group = ip.Group("x", ip.GAS_DAY, ["G1"], None, "gas")
    fr, to = ip.group_period(group, meters, series, None, None)
    assert (to - fr).astype(int) == 364
    chunks = ip.test_chunks(fr, to)
    assert len(chunks) == 53 and chunks[0][0] == fr and chunks[-1] == (to, to)


def test_a_daily_meter_reads_one_total_per_gas_day_known_after_the_day_ends():
    tz = "Europe/Paris"
    days = np.arange(np.datetime64("2024-03-28"), np.datetime64("2024-04-03"))
    b0, b1 = ip.day_bounds(days, 6, tz)  # stamps 05:00Z, then 04:00Z after the spring change
    start = b0.copy()
    energy = np.arange(len(days), dtype=float) + 10
    s = ip.Series("D", start, energy, start + 86400 + 7200, ip.infer_interval(start), received=False, delay=7200)
    assert s.daily and s.usable.all()
    d, total, complete, complete_at, _, _ = ip.daily_totals(s, 6, tz, days[0], len(days))
    assert complete.all() and list(total) == list(energy)
    # Known two hours after each gas day's own end: 23 hours after the start on 2024-03-30.
    assert list(complete_at) == list(b1 + 7200)
    assert (b1 - b0)[2] == 23 * HOUR
    # A reading stamped off its gas day's start does not count.
    shifted = ip.Series("D", start + HOUR, energy, start + 86400 + 7200, 86400, received=False)
    assert not ip.daily_totals(shifted, 6, tz, days[0], len(days))[2].any()
