"""The fleet table of benches/README.md as a picture: time and peak memory against the number of
meters, for the default backtest and the capacity alert, with what linear growth would be and
the 2 GiB memory budget.

    python benches/fleet_plot.py                  # reads benches/fleet.csv, writes benches/fleet.png

The figures are measured (see the README's section "A fleet" for the commands); this script only
draws them. Needs matplotlib (notebooks/requirements.txt).
"""

import csv
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
GIB_MIB = 2048


def read(path):
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def linear(xs, ys):
    """The line through the first point with slope 1 on log-log axes: linear growth."""
    return [ys[0] * x / xs[0] for x in xs]


def main(source=HERE / "fleet.csv", out=HERE / "fleet.png"):
    rows = read(source)
    gas = [r["gas_meters"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    for key, label, style in [
        ("backtest_wall_s", "backtest, wall", "o-"),
        ("backtest_cpu_s", "backtest, CPU", "s--"),
        ("capacity_wall_s", "capacity alert, wall", "^-"),
    ]:
        ys = [r[key] for r in rows]
        left.plot(gas, ys, style, label=label)
        left.plot(gas, linear(gas, ys), ":", color="grey", linewidth=1)
    left.set(xscale="log", yscale="log", xlabel="gas meters", ylabel="seconds",
             title="Time (dotted: linear from 10 meters)")
    left.legend()
    for key, label, style in [
        ("backtest_peak_mib", "backtest", "o-"),
        ("capacity_peak_mib", "capacity alert", "^-"),
    ]:
        right.plot(gas, [r[key] for r in rows], style, label=label)
    right.axhline(GIB_MIB, color="red", linestyle="--", linewidth=1, label="2 GiB")
    right.set(xscale="log", yscale="log", xlabel="gas meters", ylabel="peak resident MiB",
              title="Peak memory")
    right.legend()
    for ax in (left, right):
        ax.set_xticks(gas, [f"{g:,.0f}" for g in gas])
        ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*[Path(a) for a in sys.argv[1:]])
