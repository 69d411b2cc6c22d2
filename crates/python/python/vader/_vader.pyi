"""Type stubs of the native module (checked against it by ``mypy.stubtest`` in CI)."""

import os
import pathlib
from datetime import date, datetime, timedelta
from typing import Any, Mapping, Sequence, final

import polars

_Path = str | os.PathLike[str]
_Data = _Path | Mapping[str, Any]
_Day = str | date | datetime
_Instant = str | datetime
_Delay = str | int | timedelta

__version__: str
__all__ = [
    "VaderError",
    "__version__",
    "ArrowStream",
    "Validation",
    "Alert",
    "Trained",
    "Backtest",
    "validate",
    "capacity_alert",
    "train",
    "nominate",
    "backtest",
    "backtest_plan",
    "backtest_shard",
    "backtest_merge",
    "compare",
]

class VaderError(Exception): ...

@final
class ArrowStream:
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...
    def __len__(self) -> int: ...
    @property
    def columns(self) -> list[str]: ...

@final
class Validation:
    @property
    def table(self) -> polars.DataFrame: ...
    @property
    def report(self) -> dict[str, Any]: ...
    @property
    def findings(self) -> int: ...

@final
class Alert:
    @property
    def at(self) -> datetime: ...
    @property
    def how(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def table(self) -> polars.DataFrame: ...
    @property
    def over(self) -> int: ...
    def png(self) -> bytes: ...

@final
class Trained:
    @property
    def path(self) -> pathlib.Path: ...
    @property
    def model(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def trained_from(self) -> str: ...
    @property
    def trained_until(self) -> str: ...
    @property
    def residuals(self) -> int: ...
    @property
    def units(self) -> polars.DataFrame: ...

@final
class Backtest:
    @property
    def leaderboard(self) -> polars.DataFrame: ...
    @property
    def per_meter(self) -> polars.DataFrame: ...
    @property
    def comparisons(self) -> polars.DataFrame: ...
    @property
    def decision_gains(self) -> polars.DataFrame: ...
    @property
    def forecasts(self) -> polars.DataFrame: ...
    @property
    def sweep(self) -> polars.DataFrame: ...
    @property
    def choices(self) -> polars.DataFrame: ...
    @property
    def summary(self) -> dict[str, Any]: ...
    @property
    def champion(self) -> str: ...
    def write(self, out: _Path) -> None: ...

def validate(data: _Data) -> Validation: ...
def capacity_alert(
    data: _Data,
    at: _Instant | None = None,
    *,
    rule: str = "mean-of-last-hours",
    hours: int = 5,
    model: _Path | None = None,
    decision: str = "point",
    cost: _Path | None = None,
    delay: _Delay | None = None,
) -> Alert: ...
def train(
    data: _Data,
    model: str = "ridge",
    *,
    until: _Day,
    out: _Path,
    target: str = "gas-day",
    scope: str = "per-meter",
    meters: Sequence[str] | str | None = None,
    calibration_days: int = 56,
    delay: _Delay | None = None,
) -> Trained: ...
def nominate(
    data: _Data,
    model: _Path,
    day: _Day,
    *,
    decision: str = "point",
    cost: _Path | None = None,
    gas_prices: _Path | None = None,
    electricity_prices: _Path | None = None,
    delay: _Delay | None = None,
) -> polars.DataFrame: ...
def backtest(data: _Data, options: Mapping[str, Any] | None = None, out: _Path | None = None) -> Backtest: ...
def backtest_plan(data: _Data, options: Mapping[str, Any] | None = None) -> list[str]: ...
def backtest_shard(data: _Data, options: Mapping[str, Any] | None, meters: Sequence[str] | str) -> dict[str, Any]: ...
def backtest_merge(
    data: _Data,
    options: Mapping[str, Any] | None,
    shards: Sequence[Mapping[str, Any]],
    out: _Path | None = None,
) -> Backtest: ...
def compare(
    champion_run: _Path,
    challenger_run: _Path,
    *,
    champion: str | None = None,
    challenger: str | None = None,
    level: float = 0.05,
) -> polars.DataFrame: ...
