#!/usr/bin/env python3
"""Convert the eemeter UK samples in ../shared/data/ to vader's data contract.

Writes datasets/eemeter-uk/{readings,meters,weather}.csv. Standard library only; values are
copied unchanged (timestamps are already UTC). The gas meter's capacity is not in the source:
it is set here to the 97th percentile of its calendar-day totals, so that the capacity alert
has something to judge. Run from the repository root:

    python3 datasets/convert_eemeter.py ../shared/data datasets/eemeter-uk
"""

import collections
import csv
import math
import os
import sys

# source series id -> (meter_id, name, site, commodity)
METERS = {
    "uk-gas-hdd-only-hourly-sample-0": ("UK-GAS-0", "UK house 0 gas", "uk-0", "gas"),
    "uk-electricity-hdd-only-hourly-sample-0": ("UK-ELEC-0", "UK house 0 electricity", "uk-0", "electricity"),
    "uk-electricity-hdd-only-hourly-sample-1": ("UK-ELEC-1", "UK house 1 electricity", "uk-1", "electricity"),
}
# source temperature id -> site
SITES = {"uk-tempC-sample-0": "uk-0", "uk-tempC-sample-1_2": "uk-1"}


def main(src: str, out: str) -> None:
    os.makedirs(out, exist_ok=True)
    daily = collections.defaultdict(float)
    with open(os.path.join(src, "eemeter_uk_meters_long.csv"), newline="") as f, open(
        os.path.join(out, "readings.csv"), "w", newline=""
    ) as g:
        w = csv.writer(g, lineterminator="\n")
        w.writerow(["meter_id", "timestamp", "energy_kwh"])
        for row in csv.DictReader(f):
            meter = METERS.get(row["series_id"])
            if meter is None:
                continue
            w.writerow([meter[0], row["start_utc"], row["value_kwh"]])
            if meter[3] == "gas" and row["value_kwh"]:
                daily[row["start_utc"][:10]] += float(row["value_kwh"])
    totals = sorted(daily.values())
    p97 = totals[min(len(totals) - 1, math.ceil(0.97 * len(totals)) - 1)]
    with open(os.path.join(out, "meters.csv"), "w", newline="") as g:
        w = csv.writer(g, lineterminator="\n")
        w.writerow(["meter_id", "name", "site", "commodity", "capacity_kwh_per_day", "timezone", "country"])
        for meter_id, name, site, commodity in METERS.values():
            capacity = f"{math.ceil(p97)}" if commodity == "gas" else ""
            w.writerow([meter_id, name, site, commodity, capacity, "Europe/London", "GB"])
    with open(os.path.join(src, "eemeter_uk_temperature_long.csv"), newline="") as f, open(
        os.path.join(out, "weather.csv"), "w", newline=""
    ) as g:
        w = csv.writer(g, lineterminator="\n")
        w.writerow(["site", "timestamp", "temperature_c"])
        for row in csv.DictReader(f):
            w.writerow([SITES[row["temp_id"]], row["time_utc"], row["temp_c"]])


if __name__ == "__main__":
    main(*(sys.argv[1:3] if len(sys.argv) >= 3 else ("../shared/data", "datasets/eemeter-uk")))
