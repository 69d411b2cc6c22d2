"""The package against the command line, on every kind of input, and its errors."""

import json
import subprocess
from datetime import datetime, timezone

import pandas as pd
import polars as pl
import pytest

import vader
from conftest import QUICK, REFINERY, ROOT


def test_backtest_matches_the_command_line_to_the_bit(cli, quick_run, tmp_path):
    out = tmp_path / "cli-run"
    subprocess.run(
        [cli, "backtest", "--data", REFINERY, "--models", ",".join(QUICK["models"]),
         "--test-from", QUICK["test_from"], "--calibration-days", str(QUICK["calibration_days"]), "--out", out],
        check=True, capture_output=True, cwd=ROOT,
    )
    summary = json.loads((out / "summary.json").read_text())
    board = quick_run.leaderboard
    assert board["model"].to_list() == [s["model"] for s in summary["leaderboard"]]
    assert board["euros"].to_list() == [s["euros"] for s in summary["leaderboard"]]
    assert board["mae"].to_list() == [s["metrics"]["mae"] for s in summary["leaderboard"]]
    assert quick_run.summary["leaderboard"] == summary["leaderboard"]
    assert quick_run.summary["comparisons"] == summary["comparisons"]
    forecasts = pl.read_parquet(out / "forecasts.parquet")
    assert quick_run.forecasts.equals(forecasts)


def test_the_leaderboard_has_a_row_per_model_and_a_verdict(quick_run):
    board = quick_run.leaderboard
    assert sorted(board["model"].to_list()) == sorted(QUICK["models"])
    assert board["rank"].to_list() == [1, 2, 3]
    assert board["euros"].is_sorted()
    assert set(board["verdict"].to_list()) <= {
        "champion", "keep champion", "adopt challenger", "no significant difference"}
    assert quick_run.champion == "persistence"
    comparisons = quick_run.comparisons
    assert set(comparisons["loss"].to_list()) == {"euros", "absolute_error"}
    assert set(comparisons["challenger"].to_list()) == {"ridge", "gbm"}


def test_the_same_run_twice_gives_the_same_bits(quick_run):
    again = vader.backtest(REFINERY, **QUICK)
    assert again.forecasts.equals(quick_run.forecasts)
    assert again.summary == quick_run.summary


def _tables(kind):
    readings = pl.read_parquet(REFINERY / "readings.parquet")
    meters = pl.read_csv(REFINERY / "meters.csv")
    weather = pl.read_parquet(REFINERY / "weather.parquet")
    if kind == "pandas":
        return {"readings": readings.to_pandas(), "meters": meters.to_pandas(), "weather": weather.to_pandas()}
    if kind == "pyarrow":
        return {"readings": readings.to_arrow(), "meters": meters.to_arrow(), "weather": weather.to_arrow()}
    return {"readings": readings, "meters": meters, "weather": weather}


@pytest.mark.parametrize("kind", ["polars", "pandas", "pyarrow"])
def test_dataframes_give_what_the_folder_gives(quick_run, kind):
    run = vader.backtest(_tables(kind), **QUICK)
    assert run.forecasts.equals(quick_run.forecasts)
    assert run.summary["leaderboard"] == quick_run.summary["leaderboard"]


def test_a_dict_may_mix_files_and_dataframes(quick_run):
    data = {"readings": pl.read_parquet(REFINERY / "readings.parquet"), "meters": REFINERY / "meters.csv",
            "weather": str(REFINERY / "weather.parquet")}
    run = vader.backtest(data, **QUICK)
    assert run.forecasts.equals(quick_run.forecasts)


def test_a_bad_cell_in_a_dataframe_is_named_by_row_and_column():
    readings = pd.DataFrame({"meter_id": ["L18442"] * 3, "timestamp": ["2025-01-01T00:00:00Z"] * 3,
                             "energy_kwh": ["1.0", "2.0", "lots"]})
    readings["timestamp"] = ["2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z", "2025-01-01T02:00:00Z"]
    with pytest.raises(vader.VaderError, match=r"the readings DataFrame, row 2: column `energy_kwh`: cannot parse \"lots\""):
        vader.validate({"readings": readings, "meters": REFINERY / "meters.csv"})


def test_errors_carry_vaders_message(tmp_path):
    with pytest.raises(vader.VaderError, match="opening the data folder"):
        vader.validate(tmp_path / "nowhere")
    with pytest.raises(vader.VaderError, match="no readings file"):
        vader.validate(tmp_path)
    with pytest.raises(vader.VaderError, match="unknown model"):
        vader.backtest(REFINERY, models=["prophet"])
    with pytest.raises(vader.VaderError, match="outside the data"):
        vader.backtest(REFINERY, models=["persistence"], test_from="2030-01-01", test_to="2030-02-01")


def test_wrong_argument_types_raise_type_errors():
    with pytest.raises(TypeError, match="data: expected a data folder"):
        vader.validate(42)
    with pytest.raises(KeyError, match='no table "reading"'):
        vader.validate({"reading": REFINERY / "readings.parquet"})
    with pytest.raises(TypeError, match='unknown option "test_form"'):
        vader._vader.backtest(REFINERY, {"test_form": "2025-01-01"})
    with pytest.raises(ValueError, match="decision"):
        vader.backtest(REFINERY, decision="cheapest")


def test_validation_reports_each_meter():
    report = vader.validate(REFINERY)
    meters = pl.read_csv(REFINERY / "meters.csv")
    assert report.table.height == meters.height
    assert report.table["readings"].min() > 0
    assert report.report["meters"][0]["meter_id"] == report.table["meter_id"][0]


def test_capacity_alert_at_a_time_in_text_or_datetime():
    at = datetime(2025, 1, 15, 12, tzinfo=timezone.utc)
    alert = vader.capacity_alert(REFINERY, at)
    same = vader.capacity_alert(REFINERY, "2025-01-15T12:00:00Z")
    local = vader.capacity_alert(REFINERY, "2025-01-15 13:00")  # Paris wall clock
    assert alert.at == at == same.at == local.at
    assert alert.table.equals(same.table)
    gas = pl.read_csv(REFINERY / "meters.csv").filter(pl.col("commodity") == "gas")
    assert alert.table["meter_id"].to_list() == gas["meter_id"].to_list()
    assert alert.over == alert.table["over_capacity"].sum()
    assert alert.timezone == "Europe/Paris"
    png = alert.png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_then_nominate(tmp_path):
    model = tmp_path / "ridge.json"
    trained = vader.train(REFINERY, "ridge", until="2025-06-30", out=model, calibration_days=28)
    assert model.is_file() and trained.residuals > 0
    assert trained.trained_until == "2025-06-30"
    assert trained.units.height == 10
    point = vader.nominate(REFINERY, model, "2025-07-01")
    optimal = vader.nominate(REFINERY, model, "2025-07-01", decision="cost-optimal")
    assert point.height == optimal.height == 10
    assert (point["nomination_kwh"] == point["point_kwh"]).all()
    assert optimal["tau"].is_not_null().all()
    assert point.schema["period_start"] == pl.Datetime("ms", "UTC")


def test_compare_two_written_runs(quick_run, tmp_path):
    quick_run.write(tmp_path / "a")
    other = vader.backtest(REFINERY, models=["persistence", "mean-7d"], test_from="2025-10-01", calibration_days=28,
                           out=tmp_path / "b")
    assert (tmp_path / "b" / "report.html").is_file()
    tested = vader.compare(tmp_path / "a", tmp_path / "b", champion="ridge", challenger="mean-7d")
    assert tested["loss"].to_list() == ["euros", "absolute_error"]
    assert tested["champion"][0] == "ridge" and tested["challenger"][0] == "mean-7d"
    assert other.leaderboard.height == 2
