//! The one error type of `vader-features`.

use std::fmt;
use std::path::PathBuf;

/// Where in an input a problem sits: the file (or DataFrame), and the line or row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file the problem is in, or "the readings DataFrame" ([`crate::Input::label`]).
    pub path: PathBuf,
    /// The line or row at fault, counted as [`Location::rows`] says.
    pub line: Option<usize>,
    /// How `line` counts.
    pub rows: RowCount,
}

/// How a [`Location`] counts its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowCount {
    /// 1-based CSV lines; the header is line 1.
    CsvLine,
    /// 1-based Parquet rows.
    ParquetRow,
    /// 0-based DataFrame rows, as polars and pandas index them.
    FrameRow,
}

impl Location {
    /// A whole file.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), line: None, rows: RowCount::CsvLine }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        match (self.line, self.rows) {
            (Some(line), RowCount::CsvLine) => write!(f, ", line {line}"),
            (Some(row), RowCount::ParquetRow | RowCount::FrameRow) => write!(f, ", row {row}"),
            (None, _) => Ok(()),
        }
    }
}

/// Everything that can go wrong while reading, validating or shaping meter data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("{path}: {action} failed")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What was attempted ("reading", "writing", ...).
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A data folder lacks a file the data contract requires.
    #[error("{dir}: no {what} file (expected one of: {expected})")]
    MissingFile {
        /// The data folder.
        dir: PathBuf,
        /// What the file holds ("readings", "meters").
        what: &'static str,
        /// The file names that were looked for.
        expected: String,
    },
    /// A meter asked for is not in the meters file.
    #[error("{dir}: unknown meter {meter_id} (not in the meters file)")]
    UnknownMeter {
        /// The meter asked for.
        meter_id: String,
        /// The data folder.
        dir: PathBuf,
    },
    /// No meter of the data folder is forecast by the target.
    #[error(
        "{dir}: no meter with readings for target {target} (gas-day and rest-of-gas-day take gas meters, \
         electricity-day electricity meters, daily any meter)"
    )]
    NoMeterForTarget {
        /// The target.
        target: crate::target::Target,
        /// The data folder.
        dir: PathBuf,
    },
    /// The file is neither CSV nor Parquet.
    #[error("{0}: unsupported file type (expected .csv or .parquet)")]
    UnsupportedFormat(PathBuf),
    /// A file with more rows than one read can index.
    #[error("{path}: more than 4,294,967,295 rows; split it into several files")]
    TooManyRows {
        /// The file.
        path: PathBuf,
    },
    /// The file holds no data rows.
    #[error("{0}: file is empty (no data rows)")]
    EmptyFile(PathBuf),
    /// The file cannot be parsed as CSV or Parquet at all.
    #[error("{path}: not a readable {format} file")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// "CSV" or "Parquet".
        format: &'static str,
        /// What polars reported.
        #[source]
        source: polars::error::PolarsError,
    },
    /// A CSV line has more or fewer fields than the header.
    #[error("{location}: {found} fields where the header has {expected}")]
    RaggedLine {
        /// File and line.
        location: Location,
        /// Fields on that line.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A required column is absent.
    #[error("{location}: missing column `{column}` (columns found: {found})")]
    MissingColumn {
        /// The file.
        location: Location,
        /// The column the data contract requires.
        column: &'static str,
        /// The columns the file has, comma-separated.
        found: String,
    },
    /// A cell cannot be parsed as the type its column requires.
    #[error("{location}: column `{column}`: {problem}")]
    BadValue {
        /// File and line of the cell.
        location: Location,
        /// The column of the cell.
        column: &'static str,
        /// What is wrong, e.g. `cannot parse "12:00" as an RFC 3339 timestamp`.
        problem: String,
    },
    /// Two rows give different energies for the same meter and interval.
    #[error("{0}")]
    ConflictingDuplicate(Box<Conflict>),
    /// The same meter is described twice in the meters file.
    #[error("{location}: meter {meter_id} is already described at line {first_line}")]
    DuplicateMeter {
        /// Where the second description is.
        location: Location,
        /// The meter.
        meter_id: String,
        /// The line of the first description.
        first_line: usize,
    },
    /// A computation polars could not carry out on data that was already read.
    #[error("{context}")]
    Polars {
        /// What vader was doing.
        context: String,
        /// What polars reported.
        #[source]
        source: polars::error::PolarsError,
    },
    /// A request that does not make sense for the data, such as a time outside any gas day.
    #[error("{0}")]
    Invalid(String),
}

/// Two readings of one meter and interval that disagree.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// The readings file.
    pub path: PathBuf,
    /// The meter.
    pub meter_id: String,
    /// The interval start, RFC 3339 UTC.
    pub timestamp: String,
    /// Line (CSV) or row (Parquet) of the first reading, and its energy in kWh.
    pub first: (usize, f64),
    /// Line or row of the second reading, and its energy in kWh.
    pub second: (usize, f64),
    /// `"line"` for CSV, `"row"` for Parquet.
    pub unit: &'static str,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: conflicting duplicate readings for meter {} at {}: {} {} says {} kWh, {} {} says {} kWh",
            self.path.display(),
            self.meter_id,
            self.timestamp,
            self.unit,
            self.first.0,
            self.first.1,
            self.unit,
            self.second.0,
            self.second.1
        )
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
