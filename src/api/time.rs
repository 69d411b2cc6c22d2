//! Reading instants and durations written by people: on the command line, in Python, in a
//! service's configuration.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::{Error, Result};

/// How long after its interval a reading without `received_at` is known, seconds (two hours):
/// the default of every request and of the command line's `--data-delay 2h`.
pub const DEFAULT_DELAY_S: i64 = 7200;

/// Parses an instant: RFC 3339 with an offset (`2025-01-15T12:00:00Z`), or a local wall-clock
/// time `YYYY-MM-DD HH:MM[:SS]` read in `tz`.
pub fn parse_instant(text: &str, tz: Tz) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .ok_or_else(|| {
            Error::Request(format!(
                "cannot read {text:?} as a time (use 2025-01-15T12:00:00Z or \"2025-01-15 13:00\" in {tz})"
            ))
        })?;
    match tz.from_local_datetime(&naive).earliest() {
        Some(t) => Ok(t.with_timezone(&Utc)),
        None => Err(Error::Request(format!("{text} does not exist in {tz} (daylight-saving gap)"))),
    }
}

/// Parses a duration such as `2h`, `90m`, `30s` or `0`.
pub fn parse_duration_s(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: i64 = number.parse().map_err(|_| format!("cannot read {text:?} as a duration (e.g. 2h, 90m)"))?;
    let scale = match unit {
        "" | "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("unknown unit {unit:?} in {text:?} (use s, m, h or d)")),
    };
    Ok(n * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_read_in_the_site_zone() -> Result<()> {
        let t = parse_instant("2025-01-15 13:00", chrono_tz::Europe::Paris)?;
        assert_eq!(t.to_rfc3339(), "2025-01-15T12:00:00+00:00");
        let t = parse_instant("2025-07-15T13:00:00+02:00", chrono_tz::Europe::Paris)?;
        assert_eq!(t.to_rfc3339(), "2025-07-15T11:00:00+00:00");
        assert!(parse_instant("2025-03-30 02:30", chrono_tz::Europe::Paris).is_err());
        Ok(())
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_s("2h"), Ok(7200));
        assert_eq!(parse_duration_s("90m"), Ok(5400));
        assert_eq!(parse_duration_s("0"), Ok(0));
        assert!(parse_duration_s("2 weeks").is_err());
    }
}
