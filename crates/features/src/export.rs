//! Writing a feature table to CSV or Parquet, for notebooks and for other tools run on the same
//! rows.

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::feature_table::FeatureTable;

impl FeatureTable {
    /// The table as a polars frame: `meter_id`, `day`, `decision_at`, one column per feature,
    /// `actual_kwh` and `actual_known_at` (null when the day never completed).
    pub fn to_frame(&self) -> Result<DataFrame> {
        let err = |source| Error::Polars { context: "building the feature frame".into(), source };
        let utc = |v: Vec<Option<i64>>, name: &str| {
            Column::new(name.into(), v.into_iter().map(|t| t.map(|s| s * 1000)).collect::<Vec<_>>())
                .cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))
        };
        let mut columns = vec![
            Column::new("meter_id".into(), self.keys.iter().map(|k| k.meter_id.as_str()).collect::<Vec<_>>()),
            Column::new("day".into(), self.keys.iter().map(|k| k.day.to_string()).collect::<Vec<_>>()),
            utc(self.keys.iter().map(|k| Some(k.decision_at)).collect(), "decision_at").map_err(err)?,
        ];
        let values = self.matrix.values();
        for (j, name) in self.matrix.names().iter().enumerate() {
            columns.push(Column::new(name.as_str().into(), values.column(j).to_vec()));
        }
        columns.push(Column::new("actual_kwh".into(), self.actual.clone()));
        let known: Vec<Option<i64>> =
            self.actual_known_at.iter().map(|&t| (t != i64::MAX).then_some(t)).collect();
        columns.push(utc(known, "actual_known_at").map_err(err)?);
        DataFrame::new_infer_height(columns).map_err(err)
    }

    /// Writes the table to `path` (`.csv` or `.parquet`), replacing it only once complete.
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut frame = self.to_frame()?;
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("features");
        let tmp = path.with_file_name(format!(".{name}.tmp"));
        let io = |source| Error::Io { path: path.to_path_buf(), action: "writing", source };
        let file = File::create(&tmp).map_err(io)?;
        let written = match ext.as_str() {
            "csv" => CsvWriter::new(file).finish(&mut frame),
            "parquet" => ParquetWriter::new(file).finish(&mut frame).map(|_| ()),
            _ => {
                let _ = std::fs::remove_file(&tmp);
                return Err(Error::UnsupportedFormat(path.to_path_buf()));
            }
        };
        if let Err(source) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::Polars { context: format!("writing {}", path.display()), source });
        }
        std::fs::rename(&tmp, path).map_err(io)
    }
}
