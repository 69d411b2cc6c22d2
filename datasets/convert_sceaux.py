#!/usr/bin/env python3
"""Convert the UCI household in Sceaux (../shared/data/) to vader's data contract.

Reads `uci_household_power_hourly_2006_2010.csv` (`time_local_hour_beginning`,
`global_active_power_kw_mean`, `minutes_present`, ...) and writes
datasets/sceaux-fr/{readings,meters}.csv. Standard library only (zoneinfo for Europe/Paris).
There is no temperature in the source, so there is no weather file.

Energy. The energy of an hour is its mean active power times one hour (kW x 1 h = kWh), the
source's mean copied unchanged. The mean is over the minutes present: an hour with fewer than
MIN_MINUTES of its 60 minutes is written with an empty energy cell (a missing reading for
vader) rather than a value extrapolated from a fraction of the hour. Those hours are at the
edges of the source's outages (a few minutes to 49 minutes present); the 421 hours with no
minute at all are empty in the source already.

Time. The labels are Europe/Paris wall-clock time: the household's weekday morning rise stays
at the same label hour (about 06:00) across all eight clock changes, as it does only if the
labels follow the clock. But the source was put on a complete calendar with no clock change:
every label day has 24 hours (its minute file has one row per minute of the naive span, no
repeat), so on daylight-saving days:

- spring (last Sunday of March): the label 02:00 does not exist in Europe/Paris. The source
  still has a full hour there, whose values nearly repeat the 03:00 hour (mean voltage within
  0.1 V of it in all four years, against a median hour-to-hour change of 0.67 V): it is not an
  hour of its own. It is dropped.
- autumn (last Sunday of October): 02:00 happens twice (02:00 CEST = 00:00Z, then 02:00 CET =
  01:00Z), and the source has one 60-minute row for both. Which hour it holds (or whether it
  merged the two) cannot be told, so both hours are written as missing (empty energy).

Every other label is converted to UTC unambiguously. Run from the repository root:

    python3 datasets/convert_sceaux.py ../shared/data datasets/sceaux-fr
"""

import csv
import datetime as dt
import os
import sys
from zoneinfo import ZoneInfo

SOURCE = "uci_household_power_hourly_2006_2010.csv"
METER = ("FR-ELEC-SCEAUX", "Sceaux household electricity (UCI)", "fr-sceaux", "electricity")
TIMEZONE = "Europe/Paris"
MIN_MINUTES = 50  # an hour needs at least 50 of its 60 minutes for its energy to be kept


def utc(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main(src: str, out: str) -> None:
    tz = ZoneInfo(TIMEZONE)
    os.makedirs(out, exist_ok=True)
    counts = {"hours": 0, "kept": 0, "too_few_minutes": 0, "empty_in_source": 0,
              "spring_dropped": 0, "autumn_ambiguous": 0}
    with open(os.path.join(src, SOURCE), newline="") as f, open(
        os.path.join(out, "readings.csv"), "w", newline=""
    ) as g:
        w = csv.writer(g, lineterminator="\n")
        w.writerow(["meter_id", "timestamp", "energy_kwh"])
        for row in csv.DictReader(f):
            naive = dt.datetime.strptime(row["time_local_hour_beginning"], "%Y-%m-%d %H:%M")
            first = naive.replace(tzinfo=tz, fold=0)
            second = naive.replace(tzinfo=tz, fold=1)
            if first.utcoffset() != second.utcoffset():
                if first.utcoffset() < second.utcoffset():
                    # A label inside the spring-forward gap: not a real hour.
                    counts["spring_dropped"] += 1
                    continue
                # A label that happens twice: one row for two hours, neither can be assigned.
                counts["autumn_ambiguous"] += 1
                for t in (first, second):
                    w.writerow([METER[0], utc(t), ""])
                    counts["hours"] += 1
                continue
            counts["hours"] += 1
            power = row["global_active_power_kw_mean"]
            if not power:
                counts["empty_in_source"] += 1
                energy = ""
            elif int(row["minutes_present"]) < MIN_MINUTES:
                counts["too_few_minutes"] += 1
                energy = ""
            else:
                counts["kept"] += 1
                energy = power  # mean kW over the hour x 1 h = kWh
            w.writerow([METER[0], utc(first), energy])
    with open(os.path.join(out, "meters.csv"), "w", newline="") as g:
        w = csv.writer(g, lineterminator="\n")
        w.writerow(["meter_id", "name", "site", "commodity", "capacity_kwh_per_day", "timezone", "country"])
        w.writerow([*METER, "", TIMEZONE, "FR"])
    print(f"wrote {out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main(*(sys.argv[1:3] if len(sys.argv) >= 3 else ("../shared/data", "datasets/sceaux-fr")))
