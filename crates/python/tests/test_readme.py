"""The README's Python snippets run as written."""

import os
import re

import pytest

from conftest import ROOT


def snippets(path):
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


def test_the_readme_snippet_runs_the_default_backtest_and_prints_the_leaderboard(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    first = snippets(ROOT / "README.md")[0]
    assert "vader.backtest(\"datasets/refinery\")" in first
    exec(compile(first, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    for model in ["persistence", "seasonal-naive", "mean-7d", "ols", "ridge", "gbm"]:
        assert re.search(rf"\b{re.escape(model)}\b", printed), printed
    assert "verdict" in printed


def test_the_package_readme_snippet_runs(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    exec(compile(snippets(ROOT / "crates" / "python" / "README.md")[0], "crates/python/README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "L18460" in printed and "persistence" in printed
