//! Reading one CSV or Parquet file into typed columns, with errors that name file, line and column.
//!
//! Files are scanned lazily with polars; CSV cells are read as text and parsed here, so that a
//! bad cell is reported with its line and column instead of a generic parser message.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::DateTime;
use polars::prelude::*;

use crate::error::{Error, Location, Result, RowCount};
use crate::input::Input;

/// The two file formats of the data contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Csv,
    Parquet,
}

impl Format {
    fn of(path: &Path) -> Result<Self> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("csv") => Ok(Self::Csv),
            Some("parquet" | "pq") => Ok(Self::Parquet),
            _ => Err(Error::UnsupportedFormat(path.to_path_buf())),
        }
    }
}

/// Which input a table came from, and how its rows are counted: what names the place of one
/// of its rows, and what a reader keeps once the contents are gone ([`Table::read_parts`]).
pub(crate) struct Locator {
    path: PathBuf,
    rows: RowCount,
    /// Rows of the input before this table's first (non-zero for a part of a file).
    first_row: usize,
}

impl Locator {
    /// The place of row `row` (0-based, header not counted) of this table in the input.
    pub(crate) fn location(&self, row: usize) -> Location {
        let row = self.first_row + row;
        let line = match self.rows {
            // Line 1 is the header.
            RowCount::CsvLine => row + 2,
            RowCount::ParquetRow => row + 1,
            RowCount::FrameRow => row,
        };
        Location { path: self.path.clone(), line: Some(line), rows: self.rows }
    }
}

/// An input read into memory: the columns asked for, in their input types.
pub(crate) struct Table {
    at: Locator,
    frame: DataFrame,
}

impl Table {
    /// Reads `required` and whichever of `optional` exist from `input`.
    pub(crate) fn read(input: &Input, required: &[&'static str], optional: &[&'static str]) -> Result<Self> {
        match input {
            Input::File(path) => Self::read_file(path, required, optional),
            Input::Frame { frame, .. } => {
                let path = input.label();
                let found: Vec<&str> = frame.get_column_names().iter().map(|n| n.as_str()).collect();
                let wanted = columns_of(&path, &found, required, optional)?;
                let frame = frame.select(wanted).map_err(|source| Error::Polars {
                    context: format!("{}: selecting the columns", path.display()),
                    source,
                })?;
                if frame.height() == 0 {
                    return Err(Error::EmptyFile(path));
                }
                Ok(Self { at: Locator { path, rows: RowCount::FrameRow, first_row: 0 }, frame })
            }
        }
    }

    fn read_file(path: &Path, required: &[&'static str], optional: &[&'static str]) -> Result<Self> {
        let format = Format::of(path)?;
        let malformed = |source| match format {
            Format::Csv => ragged_line(path).unwrap_or(Error::Malformed {
                path: path.to_path_buf(),
                format: "CSV",
                source,
            }),
            Format::Parquet => Error::Malformed { path: path.to_path_buf(), format: "Parquet", source },
        };
        not_empty(path)?;
        // Eager readers: polars' lazy engine would bring its cloud and async stack into a tool
        // that reads local files (issue 13: the first build).
        let frame = match format {
            Format::Csv => CsvReadOptions::default()
                // Every cell as text: parsing happens below, with line numbers in the errors.
                .with_infer_schema_length(Some(0))
                .with_has_header(true)
                .try_into_reader_with_file_path(Some(path.to_path_buf()))
                .and_then(SerReader::finish),
            Format::Parquet => {
                let (reader, wanted) = open_parquet(path, required, optional)?;
                reader.with_columns(Some(wanted.iter().map(|c| c.to_string()).collect())).finish()
            }
        }
        .map_err(malformed)?;
        let found: Vec<&str> = frame.get_column_names().iter().map(|n| n.as_str()).collect();
        let wanted = columns_of(path, &found, required, optional)?;
        let frame = frame.select(wanted).map_err(malformed)?;
        if frame.height() == 0 {
            return Err(Error::EmptyFile(path.to_path_buf()));
        }
        let rows = match format {
            Format::Csv => RowCount::CsvLine,
            Format::Parquet => RowCount::ParquetRow,
        };
        Ok(Self { at: Locator { path: path.to_path_buf(), rows, first_row: 0 }, frame })
    }

    /// Reads `input` part by part, handing each part to `each`, and returns what names a row of
    /// the whole input (rows counted from its start): a Parquet file in slices of about
    /// `part_rows` rows, so that a fleet's readings are never in memory whole, as they would
    /// be in one frame; a CSV file or a frame as one part. Every part has the same columns, and
    /// its errors name the row's place in the whole input.
    pub(crate) fn read_parts(
        input: &Input,
        required: &[&'static str],
        optional: &[&'static str],
        part_rows: usize,
        mut each: impl FnMut(Table) -> Result<()>,
    ) -> Result<Locator> {
        let path = match input {
            Input::File(path) if Format::of(path)? == Format::Parquet => path,
            _ => {
                let table = Self::read(input, required, optional)?;
                let at = Locator { path: table.at.path.clone(), rows: table.at.rows, first_row: 0 };
                each(table)?;
                return Ok(at);
            }
        };
        not_empty(path)?;
        let malformed = |source| Error::Malformed { path: path.to_path_buf(), format: "Parquet", source };
        let (mut reader, wanted) = open_parquet(path, required, optional)?;
        let metadata = reader.get_metadata().map_err(malformed)?.clone();
        let total = reader.num_rows().map_err(malformed)?;
        if total == 0 {
            return Err(Error::EmptyFile(path.to_path_buf()));
        }
        let part_rows = part_rows.max(1);
        let mut first_row = 0;
        while first_row < total {
            let rows = part_rows.min(total - first_row);
            let mut reader = ParquetReader::new(open_file(path)?);
            reader.set_metadata(metadata.clone());
            let frame = reader
                .with_columns(Some(wanted.iter().map(|c| c.to_string()).collect()))
                .with_slice(Some((first_row, rows)))
                .finish()
                .and_then(|frame| frame.select(wanted.iter().copied()))
                .map_err(malformed)?;
            let at = Locator { path: path.to_path_buf(), rows: RowCount::ParquetRow, first_row };
            each(Self { at, frame })?;
            first_row += rows;
        }
        Ok(Locator { path: path.to_path_buf(), rows: RowCount::ParquetRow, first_row: 0 })
    }

    /// Rows of the input before this table's first: non-zero for a part of a file.
    pub(crate) fn first_row(&self) -> usize {
        self.at.first_row
    }

    /// Number of data rows.
    pub(crate) fn height(&self) -> usize {
        self.frame.height()
    }

    /// The columns read, comma-separated.
    pub(crate) fn names(&self) -> String {
        self.frame.get_column_names().iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// Whether the file has `column`.
    pub(crate) fn has(&self, column: &str) -> bool {
        self.frame.column(column).is_ok()
    }

    /// Where row `row` (0-based) sits in the file.
    pub(crate) fn location(&self, row: usize) -> Location {
        self.at.location(row)
    }

    fn bad(&self, row: usize, column: &'static str, problem: String) -> Error {
        Error::BadValue { location: self.location(row), column, problem }
    }

    fn column(&self, name: &'static str) -> Result<&Column> {
        self.frame.column(name).map_err(|source| Error::Polars {
            context: format!("{}: reading column `{name}`", self.at.path.display()),
            source,
        })
    }

    fn as_text(&self, name: &'static str) -> Result<StringChunked> {
        let column = self.column(name)?;
        let cast = column.cast(&DataType::String).map_err(|source| Error::Polars {
            context: format!("{}: reading column `{name}` as text", self.at.path.display()),
            source,
        })?;
        cast.str().cloned().map_err(|source| Error::Polars {
            context: format!("{}: reading column `{name}` as text", self.at.path.display()),
            source,
        })
    }

    /// A text column; empty cells are `None`.
    pub(crate) fn text(&self, name: &'static str) -> Result<Vec<Option<String>>> {
        let text = self.as_text(name)?;
        Ok(text.iter().map(|v| filled(v).map(str::to_owned)).collect())
    }

    /// An optional text column: its cells, or `None` on every row when the file lacks it.
    pub(crate) fn optional_text(&self, name: &'static str) -> Result<Vec<Option<String>>> {
        if self.has(name) { self.text(name) } else { Ok(vec![None; self.height()]) }
    }

    /// A text column in which every cell must be filled.
    pub(crate) fn required_text(&self, name: &'static str) -> Result<Vec<String>> {
        self.text(name)?
            .into_iter()
            .enumerate()
            .map(|(row, v)| v.ok_or_else(|| self.bad(row, name, "empty value".into())))
            .collect()
    }

    /// A text column in which every cell must be filled, as codes: the distinct values in
    /// ascending order, and each row's index into them. No string is allocated per row, so a
    /// fleet's millions of readings do not hold millions of copies of a few thousand ids.
    pub(crate) fn required_codes(&self, name: &'static str) -> Result<(Vec<String>, Vec<u32>)> {
        let text = self.as_text(name)?;
        let mut index: HashMap<&str, u32> = HashMap::new();
        let mut codes = Vec::with_capacity(text.len());
        for (row, value) in text.iter().enumerate() {
            let Some(value) = filled(value) else { return Err(self.bad(row, name, "empty value".into())) };
            let next = u32::try_from(index.len()).unwrap_or(u32::MAX);
            codes.push(*index.entry(value).or_insert(next));
        }
        // Codes in first-seen order, renumbered so that their order is the values' order.
        let mut values: Vec<(&str, u32)> = index.into_iter().collect();
        values.sort_unstable();
        let mut rank = vec![0_u32; values.len()];
        for (sorted, (_, first_seen)) in values.iter().enumerate() {
            rank[*first_seen as usize] = u32::try_from(sorted).unwrap_or(u32::MAX);
        }
        for code in &mut codes {
            *code = rank[*code as usize];
        }
        Ok((values.into_iter().map(|(v, _)| v.to_string()).collect(), codes))
    }

    /// A number column; empty cells are `None`. Text cells must parse as numbers.
    pub(crate) fn numbers(&self, name: &'static str) -> Result<Vec<Option<f64>>> {
        let column = self.column(name)?;
        if column.dtype().is_primitive_numeric() {
            let cast = column.cast(&DataType::Float64).map_err(|source| Error::Polars {
                context: format!("{}: reading column `{name}` as numbers", self.at.path.display()),
                source,
            })?;
            let values = cast.f64().map_err(|source| Error::Polars {
                context: format!("{}: reading column `{name}` as numbers", self.at.path.display()),
                source,
            })?;
            return Ok(values.iter().collect());
        }
        self.text(name)?
            .into_iter()
            .enumerate()
            .map(|(row, v)| match v {
                None => Ok(None),
                Some(v) => v
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| self.bad(row, name, format!("cannot parse {v:?} as a number"))),
            })
            .collect()
    }

    /// A calendar-day column (`YYYY-MM-DD` text); every cell must be filled.
    pub(crate) fn dates(&self, name: &'static str) -> Result<Vec<chrono::NaiveDate>> {
        self.as_text(name)?
            .iter()
            .enumerate()
            .map(|(row, v)| match v.map(str::trim) {
                None | Some("") => Err(self.bad(row, name, "empty value".into())),
                Some(v) => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map_err(|_| self.bad(row, name, format!("cannot parse {v:?} as a date (YYYY-MM-DD)"))),
            })
            .collect()
    }

    /// A UTC timestamp column as Unix seconds; every cell must be filled.
    ///
    /// Text cells must be RFC 3339 with an offset (`2024-01-31T05:00:00Z`); Parquet datetime
    /// columns without a time zone are read as UTC.
    pub(crate) fn timestamps(&self, name: &'static str) -> Result<Vec<i64>> {
        let column = self.column(name)?;
        if let DataType::Datetime(unit, _) = column.dtype() {
            let per_second = match unit {
                TimeUnit::Milliseconds => 1_000,
                TimeUnit::Microseconds => 1_000_000,
                TimeUnit::Nanoseconds => 1_000_000_000,
            };
            let physical = column.cast(&DataType::Int64).map_err(|source| Error::Polars {
                context: format!("{}: reading column `{name}` as timestamps", self.at.path.display()),
                source,
            })?;
            let values = physical.i64().map_err(|source| Error::Polars {
                context: format!("{}: reading column `{name}` as timestamps", self.at.path.display()),
                source,
            })?;
            return values
                .iter()
                .enumerate()
                .map(|(row, v)| {
                    v.map(|v| v.div_euclid(per_second))
                        .ok_or_else(|| self.bad(row, name, "empty value".into()))
                })
                .collect();
        }
        self.as_text(name)?
            .iter()
            .enumerate()
            .map(|(row, v)| match v.map(str::trim) {
                None | Some("") => Err(self.bad(row, name, "empty value".into())),
                Some(v) => parse_utc(v).ok_or_else(|| {
                    self.bad(row, name, format!("cannot parse {v:?} as an RFC 3339 timestamp with offset"))
                }),
            })
            .collect()
    }
}

/// A reader of the Parquet file at `path` and the columns to take from it ([`columns_of`]):
/// its schema read, nothing else.
fn open_parquet(
    path: &Path,
    required: &[&'static str],
    optional: &[&'static str],
) -> Result<(ParquetReader<std::fs::File>, Vec<&'static str>)> {
    let mut reader = ParquetReader::new(open_file(path)?);
    let found: Vec<String> = reader
        .schema()
        .map_err(|source| Error::Malformed { path: path.to_path_buf(), format: "Parquet", source })?
        .iter_names()
        .map(|n| n.to_string())
        .collect();
    let found: Vec<&str> = found.iter().map(String::as_str).collect();
    let wanted = columns_of(path, &found, required, optional)?;
    Ok((reader, wanted))
}

/// Opens the file at `path` for reading, naming it in the error.
fn open_file(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        action: "reading",
        source,
    })
}

/// Fails with [`Error::EmptyFile`] on a file of no bytes (or names the I/O error).
fn not_empty(path: &Path) -> Result<()> {
    let metadata = std::fs::metadata(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        action: "reading",
        source,
    })?;
    if metadata.len() == 0 {
        return Err(Error::EmptyFile(path.to_path_buf()));
    }
    Ok(())
}

/// The columns to take from an input with columns `found`: every required one (or an error
/// naming the first missing), then the optional ones present.
fn columns_of(
    path: &Path,
    found: &[&str],
    required: &[&'static str],
    optional: &[&'static str],
) -> Result<Vec<&'static str>> {
    for column in required {
        if !found.contains(column) {
            return Err(Error::MissingColumn {
                location: Location::file(path),
                column,
                found: found.join(", "),
            });
        }
    }
    Ok(required.iter().chain(optional.iter().filter(|c| found.contains(c))).copied().collect())
}

/// Parses an RFC 3339 timestamp (with `Z` or an offset) into Unix seconds.
pub(crate) fn parse_utc(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp())
}

/// A text cell without its surrounding blanks, or `None` when nothing is left.
fn filled(cell: Option<&str>) -> Option<&str> {
    cell.map(str::trim).filter(|v| !v.is_empty())
}

/// Finds the first CSV line whose field count differs from the header's, to turn polars'
/// "more fields than defined" into an error with a line number. Only called on failure.
fn ragged_line(path: &Path) -> Option<Error> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut expected = None;
    let (mut fields, mut quoted, mut blank, mut line, mut record_line) = (1, false, true, 1, 1);
    for c in text.chars().chain(std::iter::once('\n')) {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => fields += 1,
            '\n' if !quoted => {
                if !blank {
                    match expected {
                        None => expected = Some(fields),
                        Some(e) if e != fields => {
                            let location = Location {
                                path: path.to_path_buf(),
                                line: Some(record_line),
                                rows: RowCount::CsvLine,
                            };
                            return Some(Error::RaggedLine { location, found: fields, expected: e });
                        }
                        Some(_) => {}
                    }
                }
                line += 1;
                record_line = line;
                (fields, blank) = (1, true);
                continue;
            }
            '\n' => line += 1,
            _ => {}
        }
        if c != '\r' {
            blank = false;
        }
    }
    None
}
