"""Shared fixtures: the repository's datasets, and the vader command line to check against."""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
REFINERY = ROOT / "datasets" / "refinery"

# A short backtest that still fits every kind of model: the last quarter of the refinery.
QUICK = {"models": ["persistence", "ridge", "gbm"], "test_from": "2025-10-01", "calibration_days": 28}


def vader_binary() -> Path | None:
    """The `vader` command line built in the shared target directory, or on PATH."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/vader/target"))
    for candidate in (target / "debug" / "vader", target / "release" / "vader"):
        if candidate.is_file():
            return candidate
    found = shutil.which("vader")
    return Path(found) if found else None


@pytest.fixture(scope="session")
def cli() -> Path:
    found = vader_binary()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("no vader binary: CI builds it before the Python tests (cargo build)")
        pytest.skip("no vader binary built (cargo build)")
    return found


@pytest.fixture(scope="session")
def quick_run():
    import vader

    return vader.backtest(REFINERY, **QUICK)
