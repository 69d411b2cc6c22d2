"""vader: forecast the gas and electricity consumption of industrial sites and turn forecasts
into euro-saving decisions.

The same library functions as the ``vader`` command line, on DataFrames:

>>> import vader
>>> run = vader.backtest("datasets/refinery", test_from="2025-10-01")   # doctest: +SKIP
>>> run.leaderboard.select("model", "mae", "euros")                      # doctest: +SKIP

``data`` is a data folder (``str`` or ``os.PathLike``) or a dict of tables: ``readings`` and
``meters`` (required), ``weather``, ``closures``, ``covariates``, ``holidays``, each a file
path or a DataFrame (polars, pandas >= 2.2, pyarrow: any object with ``__arrow_c_stream__``).
Tables come back as polars DataFrames; errors as :class:`VaderError` with vader's message.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from typing import Any, Mapping, Sequence, Union

from ._vader import (
    Alert,
    ArrowStream,
    Backtest,
    Trained,
    VaderError,
    Validation,
    __version__,
    backtest_merge,
    backtest_plan,
    backtest_shard,
    capacity_alert,
    compare,
    nominate,
    train,
    validate,
)
from . import _vader

__all__ = [
    "Alert",
    "ArrowStream",
    "Backtest",
    "Trained",
    "VaderError",
    "Validation",
    "__version__",
    "backtest",
    "backtest_merge",
    "backtest_plan",
    "backtest_shard",
    "capacity_alert",
    "compare",
    "nominate",
    "train",
    "validate",
]

Data = Union[str, "os.PathLike[str]", Mapping[str, Any]]
Day = Union[str, date, datetime]


def backtest(
    data: Data,
    *,
    target: str = "gas-day",
    models: Sequence[str] | str | None = None,
    champion: str | None = None,
    meters: Sequence[str] | str | None = None,
    test_from: Day | None = None,
    test_to: Day | None = None,
    refit_days: int | None = None,
    window_days: int | None = None,
    scope: str = "per-meter",
    decision: str = "point",
    calibration_days: int | None = None,
    sweep: str | None = None,
    cost: str | os.PathLike[str] | None = None,
    gas_prices: str | os.PathLike[str] | None = None,
    electricity_prices: str | os.PathLike[str] | None = None,
    capacity_hours: Sequence[int] | int | None = None,
    level: float | None = None,
    delay: str | int | timedelta | None = None,
    out: str | os.PathLike[str] | None = None,
) -> Backtest:
    """Replays decisions over a test period (walk-forward), prices them in euros, ranks the
    models and A/B-tests each against the champion: ``vader backtest``.

    | option | default | meaning |
    | --- | --- | --- |
    | ``target`` | ``"gas-day"`` | ``gas-day``, ``rest-of-gas-day``, ``electricity-day``, ``daily`` |
    | ``models`` | the target's defaults | names: ``persistence``, ``seasonal-naive``, ``mean-7d``, ``ols``, ``ridge``, ``gbm``, ``gbm-q0.9``, ``gbm-tuned``, ``forest``, ... |
    | ``champion`` | ``persistence`` (``intraday-5h`` on ``rest-of-gas-day``) | the model in use |
    | ``meters`` | every meter of the target | only these |
    | ``test_from`` / ``test_to`` | the last 365 days of the data | the test period |
    | ``refit_days`` | 7 | days between refits |
    | ``window_days`` | expanding | train each refit on the last N days only |
    | ``scope`` | ``"per-meter"`` | or ``"global"`` (one model over all meters) |
    | ``decision`` | ``"point"`` | or ``"cost-optimal"``: the leaderboard's decision rule |
    | ``calibration_days`` | 56 | days replayed before the test period to calibrate quantiles |
    | ``sweep`` | none | ``"penalty=100,200,400"``: reprice over several values |
    | ``cost``, ``gas_prices``, ``electricity_prices`` | SPEC prices | cost file (TOML), price series (CSV/Parquet) |
    | ``capacity_hours`` | every hour | local hours of the capacity decision (``rest-of-gas-day``) |
    | ``level`` | 0.05 | significance level of the A/B tests |
    | ``delay`` | ``"2h"`` | when a reading without ``received_at`` becomes known |
    | ``out`` | none | also write the run folder (report, forecasts.parquet, summary.json) |

    >>> run = vader.backtest("datasets/refinery", models=["persistence", "ridge"],
    ...                      test_from="2025-10-01")                        # doctest: +SKIP
    >>> print(run.leaderboard.select("rank", "model", "mae", "euros", "verdict"))  # doctest: +SKIP
    """
    options = _options(locals())
    return _vader.backtest(data, options, out)


def _options(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The backtest options of a call's arguments, without ``data`` and ``out``, ``None``s left
    out (vader's defaults)."""
    return {k: v for k, v in arguments.items() if k not in ("data", "out") and v is not None}
