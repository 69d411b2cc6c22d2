#!/usr/bin/env python3
"""Convert the French day-ahead prices of ../shared/data/smard_day_ahead_prices_2015_2018.csv
into a vader price series (`timestamp,price_eur_per_mwh`, hourly, UTC).

Standard library only; prices are copied unchanged, hours without a French price are left out
(vader then refuses to price a period in them instead of guessing). Run from the repository root:

    python3 datasets/convert_smard.py ../shared/data datasets/prices
"""

import csv
import os
import sys


def main(src: str, out: str) -> None:
    os.makedirs(out, exist_ok=True)
    source = os.path.join(src, "smard_day_ahead_prices_2015_2018.csv")
    target = os.path.join(out, "fr-day-ahead-2015-2018.csv")
    rows = 0
    with open(source, newline="") as f, open(target, "w", newline="") as g:
        writer = csv.writer(g, lineterminator="\n")
        writer.writerow(["timestamp", "price_eur_per_mwh"])
        for row in csv.DictReader(f):
            price = row["france_eur_mwh"].strip()
            if price:
                writer.writerow([row["time_utc"], price])
                rows += 1
    print(f"wrote {target} ({rows} hourly prices)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
