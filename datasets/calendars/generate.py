#!/usr/bin/env python3
"""Writes vader's public-holiday calendars, `holidays.csv` and `coverage.csv`, beside this script.

From the repository root:

    python3 -m venv /tmp/calendars-venv
    /tmp/calendars-venv/bin/pip install -r datasets/calendars/requirements.txt
    /tmp/calendars-venv/bin/python datasets/calendars/generate.py

The calendars come from the `holidays` package (PyPI, MIT licence) at the exact version pinned in
`requirements.txt`; the script refuses to run with another version, so that the committed CSV is a
function of that version alone. Output (format in README.md):

- `holidays.csv`: `country,subdivision,date,name`, one row per public holiday and calendar,
  the FULL set of each calendar (a subdivision's rows include the national holidays it keeps);
- `coverage.csv`: `country,subdivision,first_year,last_year`, the years each calendar covers.

Deterministic: rows sorted by (country, subdivision, date), names in US English, several holidays on
one date joined by "; " in sorted order, UTF-8, "\\n" line endings.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import holidays

HERE = Path(__file__).resolve().parent
PINNED = "0.109"  # keep equal to requirements.txt
FIRST_YEAR, LAST_YEAR = 2000, 2035
LANGUAGE = "en_US"  # every country below supports it; fixed so that names do not follow the locale
CATEGORIES = ("public",)

# Country -> the subdivisions written besides the national calendar ("" below). Only ISO 3166-2
# codes (the part after the dash) are listed: the package's extra entries that are cities
# (DE Augsburg, ES Barcelona), language communities (BE) or school zones (FR, NL) are left out.
SUBDIVISIONS: dict[str, tuple[str, ...]] = {
    # Alsace-Moselle: the package knows 57 (Moselle) and 6AE (Alsace, the European Collectivity
    # of Alsace); 67 (Bas-Rhin) and 68 (Haut-Rhin) are written as copies of 6AE (ALIASES).
    # Overseas departments and collectivities are left out (not asked for yet).
    "FR": ("57", "6AE"),
    "GB": ("ENG", "NIR", "SCT", "WLS"),
    "DE": ("BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV", "NI", "NW", "RP", "SH", "SL", "SN", "ST", "TH"),
    "BE": (),
    "NL": (),
    "ES": ("AN", "AR", "AS", "CB", "CE", "CL", "CM", "CN", "CT", "EX", "GA", "IB", "MC", "MD", "ML", "NC",
           "PV", "RI", "VC"),
    "IT": (),
    # The 50 states, DC and the outlying areas the package has (AS, GU, MP, PR, UM, VI).
    "US": ("AK", "AL", "AR", "AS", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "GU", "HI", "IA", "ID",
           "IL", "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MP", "MS", "MT", "NC", "ND",
           "NE", "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "PR", "RI", "SC", "SD", "TN", "TX",
           "UM", "UT", "VA", "VI", "VT", "WA", "WI", "WV", "WY"),
    "AU": ("ACT", "NSW", "NT", "QLD", "SA", "TAS", "VIC", "WA"),
}
# (country, code written) -> the package's subdivision whose calendar it copies.
ALIASES = {("FR", "67"): "6AE", ("FR", "68"): "6AE"}


def calendar(country: str, subdivision: str | None) -> tuple[dict, int]:
    """{date: name} over FIRST_YEAR..LAST_YEAR and the first year the package covers."""
    h = holidays.country_holidays(
        country, subdiv=subdivision, years=range(FIRST_YEAR, LAST_YEAR + 1), language=LANGUAGE,
        categories=CATEGORIES, observed=True,
    )
    out = {}
    for day, name in h.items():
        if FIRST_YEAR <= day.year <= LAST_YEAR:
            out[day] = "; ".join(sorted({part.strip() for part in name.split(";") if part.strip()}))
    return out, max(FIRST_YEAR, int(getattr(h, "start_year", FIRST_YEAR)))


def to_csv(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def main() -> int:
    if holidays.__version__ != PINNED:
        print(f"holidays {holidays.__version__} installed, {PINNED} pinned: "
              f"pip install -r {HERE / 'requirements.txt'}", file=sys.stderr)
        return 2
    rows, coverage = [], []
    for country, subs in SUBDIVISIONS.items():
        known = set(holidays.country_holidays(country).subdivisions)
        missing = [s for s in subs if s not in known]
        if missing:
            raise SystemExit(f"{country}: the package has no subdivision {missing}")
        written = [("", None)] + [(s, s) for s in subs]
        written += [(code, src) for (c, code), src in ALIASES.items() if c == country]
        for code, source in written:
            days, first = calendar(country, source)
            rows += [[country, code, d.isoformat(), name] for d, name in days.items()]
            coverage.append([country, code, str(first), str(LAST_YEAR)])
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    coverage.sort()
    for name, data in (("holidays.csv", to_csv(["country", "subdivision", "date", "name"], rows)),
                       ("coverage.csv", to_csv(["country", "subdivision", "first_year", "last_year"], coverage))):
        path = HERE / name
        tmp = path.with_suffix(".csv.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)  # a failed run leaves the committed file as it was
        lines = data.count(b"\n")
        print(f"{path.relative_to(HERE.parent.parent)}: {lines - 1} rows, {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
