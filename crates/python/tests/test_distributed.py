"""A backtest split over a Dask cluster of two worker processes gives the single-process run,
bit for bit; shards merged in any order give it too."""

import polars as pl
import pytest

import vader
import vader.distributed
from conftest import QUICK, REFINERY

dask_distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def client():
    cluster = dask_distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    with dask_distributed.Client(cluster) as client:
        yield client
    cluster.close()


def same(a, b):
    assert a.forecasts.equals(b.forecasts)
    assert a.leaderboard.equals(b.leaderboard)
    assert a.comparisons.equals(b.comparisons)
    # The summary names where the data came from (a folder, or "DataFrames"); all else is equal.
    without_source = lambda s: {**s, "run": {k: v for k, v in s["run"].items() if k != "data"}}  # noqa: E731
    assert without_source(a.summary) == without_source(b.summary)


@pytest.mark.parametrize("shard_count", [1, 3, 10])
def test_dask_gives_the_single_process_run(client, quick_run, shard_count):
    run = vader.distributed.backtest(REFINERY, client, shard_count=shard_count, **QUICK)
    same(run, quick_run)


def test_dataframes_are_scattered_to_the_workers(client, quick_run):
    data = {"readings": pl.read_parquet(REFINERY / "readings.parquet"), "meters": pl.read_csv(REFINERY / "meters.csv"),
            "weather": pl.read_parquet(REFINERY / "weather.parquet")}
    same(vader.distributed.backtest(data, client, shard_count=4, **QUICK), quick_run)


def test_shards_merge_in_any_order_through_arrow(quick_run):
    import pyarrow as pa

    meters = vader.backtest_plan(REFINERY, QUICK)
    parts = [vader.distributed.run_shard(REFINERY, pa.table({"meter_id": part}), QUICK)
             for part in vader.distributed.shards(meters, 4)]
    parts = [{"meters": p["meters"], "forecasts": p["forecasts"].to_arrow(), "choices": p["choices"].to_arrow()}
             for p in reversed(parts)]
    same(vader.backtest_merge(REFINERY, QUICK, parts), quick_run)


def test_a_missing_or_repeated_shard_is_refused():
    meters = vader.backtest_plan(REFINERY, QUICK)
    first = vader.distributed.run_shard(REFINERY, meters[:2], QUICK)
    with pytest.raises(vader.VaderError, match="not replayed"):
        vader.backtest_merge(REFINERY, QUICK, [first])
    with pytest.raises(vader.VaderError, match="replayed twice"):
        rest = vader.distributed.run_shard(REFINERY, meters[2:], QUICK)
        vader.backtest_merge(REFINERY, QUICK, [first, first, rest])


def test_a_global_model_is_not_split(client):
    with pytest.raises(vader.VaderError, match="global"):
        vader.distributed.backtest(REFINERY, client, scope="global", **QUICK)
