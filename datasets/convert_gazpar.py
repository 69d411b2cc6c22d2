#!/usr/bin/env python3
"""Convert the GRDF Gazpar household gas meter in ../shared/data/ to vader's data contract.

Reads `gazpar_household_daily_gas_2019_2021.csv` (one row per day: `date`, `energy_kwh`,
`temperature_c`, ...) and writes datasets/gazpar-fr/{readings,meters,weather}.csv. Standard
library only (zoneinfo for Europe/Paris); energies and temperatures are copied unchanged.

Time stamps. A GRDF daily reading is the consumption of one gas day (journée gazière): the row
dated D covers 06:00 on D to 06:00 on D+1, Europe/Paris time (GRDF's API pairs
`journeeGaziere` D with `dateFinReleve` D+1T06:00 local; the meter indexes of consecutive rows
join up). vader's readings are stamped with the UTC start of their interval, so the reading of
gas day D is stamped D 06:00 Europe/Paris in UTC: 05:00Z in winter, 04:00Z in summer. Gas days
that contain a clock change last 23 or 25 hours; their start is still 06:00 local, so the step
between consecutive stamps is 23 or 25 hours on those days. The daily temperature is stamped the
same way, so vader's mean temperature over gas day D (the weather rows in [start, end) of the
gas day) is that day's value. The 21 days without a temperature are left out of weather.csv.

Capacity. The source has none; `capacity_kwh_per_day` is set here to the 12th-largest daily
energy rounded up to the next 10 kWh, so that the capacity alert has something to judge. Run
from the repository root:

    python3 datasets/convert_gazpar.py ../shared/data datasets/gazpar-fr
"""

import csv
import datetime as dt
import math
import os
import sys
from zoneinfo import ZoneInfo

SOURCE = "gazpar_household_daily_gas_2019_2021.csv"
METER = ("FR-GAS-GAZPAR", "French household gas (GRDF Gazpar)", "fr-gazpar", "gas")
TIMEZONE = "Europe/Paris"
GAS_DAY_START_HOUR = 6


def gas_day_start_utc(day: dt.date, tz: ZoneInfo) -> str:
    """06:00 local on `day` (never inside a clock change in Europe), as RFC 3339 UTC."""
    local = dt.datetime(day.year, day.month, day.day, GAS_DAY_START_HOUR, tzinfo=tz)
    return local.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main(src: str, out: str) -> None:
    tz = ZoneInfo(TIMEZONE)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(src, SOURCE), newline="") as f:
        rows = list(csv.DictReader(f))
    energies = []
    with open(os.path.join(out, "readings.csv"), "w", newline="") as g, open(
        os.path.join(out, "weather.csv"), "w", newline=""
    ) as h:
        readings = csv.writer(g, lineterminator="\n")
        weather = csv.writer(h, lineterminator="\n")
        readings.writerow(["meter_id", "timestamp", "energy_kwh"])
        weather.writerow(["site", "timestamp", "temperature_c"])
        for row in rows:
            stamp = gas_day_start_utc(dt.date.fromisoformat(row["date"]), tz)
            readings.writerow([METER[0], stamp, row["energy_kwh"]])
            if row["energy_kwh"]:
                energies.append(float(row["energy_kwh"]))
            if row["temperature_c"]:
                weather.writerow([METER[2], stamp, row["temperature_c"]])
    twelfth = sorted(energies, reverse=True)[11]
    capacity = math.ceil(twelfth / 10) * 10
    with open(os.path.join(out, "meters.csv"), "w", newline="") as g:
        w = csv.writer(g, lineterminator="\n")
        w.writerow(["meter_id", "name", "site", "commodity", "capacity_kwh_per_day", "timezone", "country"])
        w.writerow([*METER, capacity, TIMEZONE, "FR"])
    print(f"wrote {out}: {len(rows)} daily readings, capacity {capacity} kWh/day (12th-largest day {twelfth:g})")


if __name__ == "__main__":
    main(*(sys.argv[1:3] if len(sys.argv) >= 3 else ("../shared/data", "datasets/gazpar-fr")))
