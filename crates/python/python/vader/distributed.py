"""Backtests of many meters on a Dask cluster, bit for bit the single-process run.

A backtest fits one model per meter, and each meter's forecasts depend on that meter alone. So
the meters are split into contiguous shards, each shard's walk-forward is replayed on a worker
(:func:`run_shard`), and the shards are merged and finished (decisions, euros, scores, A/B
tests) on the client: the leaderboard, the comparisons and every forecast are the very numbers
of ``vader.backtest`` on one machine.

>>> from dask.distributed import Client, LocalCluster                  # doctest: +SKIP
>>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))   # doctest: +SKIP
>>> run = vader.distributed.backtest("datasets/refinery", client)      # doctest: +SKIP

Every worker must see ``data``: a folder on a shared file system, or a dict of DataFrames
(scattered to the workers once).

Other engines
-------------
:func:`run_shard` takes meter ids (a list, or Arrow data with a ``meter_id`` column) and
returns Arrow data (polars DataFrames), so any engine that maps a function over partitions can
run the shards. With Spark, one partition per shard::

    meters = vader.backtest_plan(DATA, OPTIONS)   # on the driver
    frame = spark.createDataFrame([(m,) for m in meters], "meter_id string").repartition(8)

    def replay(batches):                          # DATA must be readable on the executors
        for batch in batches:
            yield from run_shard(DATA, batch, OPTIONS)["forecasts"].to_arrow().to_batches()

    forecasts = frame.mapInArrow(replay, schema).toArrow()   # the `forecasts` schema

then ``vader.backtest_merge(DATA, OPTIONS, [{"meters": meters, "forecasts": forecasts,
"choices": choices}])`` on the driver (``choices`` the same way, or an empty table when no
tuned model runs). With Ray, ``ray.remote(run_shard)`` over the shards, then the same merge.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from . import Backtest, Data, _options, _vader

__all__ = ["backtest", "run_shard", "shards"]


def run_shard(data: Data, meters: Any, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Replays the walk-forward of the meters ``meters`` of the backtest ``options`` (the keyword
    arguments of ``vader.backtest`` as a dict).

    ``meters`` is a list of meter ids, or Arrow data with a ``meter_id`` column (a pyarrow
    RecordBatch or Table, a polars or pandas DataFrame), as Spark's ``mapInArrow`` hands it
    over. Returns ``{"meters": [...], "forecasts": DataFrame, "choices": DataFrame}``, what
    ``vader.backtest_merge`` takes.
    """
    return _vader.backtest_shard(data, dict(options or {}), _meter_ids(meters))


def shards(meters: Sequence[str], count: int) -> list[list[str]]:
    """``meters`` cut into at most ``count`` contiguous, non-empty shards of near-equal size."""
    count = max(1, min(count, len(meters)))
    size, extra = divmod(len(meters), count)
    out, start = [], 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        out.append(list(meters[start:end]))
        start = end
    return [s for s in out if s]


def backtest(
    data: Data,
    client: Any,
    *,
    shard_count: int | None = None,
    out: str | None = None,
    **options: Any,
) -> Backtest:
    """``vader.backtest(data, **options)`` with the meters' walk-forwards replayed on the
    workers of the ``dask.distributed`` ``client``; the same result, bit for bit.

    ``shard_count`` defaults to two shards per worker thread (a slow shard then leaves little
    idle time at the end). A global model (``scope="global"``) pools every meter and cannot be
    split: it is refused.
    """
    options = _options(options)
    if options.get("scope") == "global":
        raise _vader.VaderError("a global model pools every meter: its backtest cannot be split into shards")
    meters = _vader.backtest_plan(data, options)
    if shard_count is None:
        threads = sum(client.nthreads().values()) or 1
        shard_count = 2 * threads
    parts = shards(meters, shard_count)
    # A dict of DataFrames goes to every worker once; a folder is read where it lies.
    shared = client.scatter(data, broadcast=True) if isinstance(data, Mapping) else data
    futures = [client.submit(run_shard, shared, part, options, pure=False) for part in parts]
    replayed = client.gather(futures)
    return _vader.backtest_merge(data, options, replayed, out)


def _meter_ids(meters: Any) -> list[str]:
    """Meter ids from a list or from Arrow data with a ``meter_id`` column."""
    if isinstance(meters, str):
        return [meters]
    if hasattr(meters, "__arrow_c_stream__") or hasattr(meters, "__arrow_c_array__"):
        import polars as pl

        frame = pl.DataFrame(meters)
        if "meter_id" not in frame.columns:
            raise TypeError(f"meters: the table has no meter_id column (columns: {frame.columns})")
        return [str(m) for m in frame["meter_id"].to_list()]
    return [str(m) for m in meters]
