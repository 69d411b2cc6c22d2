//! Where a table of the data contract comes from: a file (CSV or Parquet), or a DataFrame
//! already in memory (from Python, say). Both get the same checks and the same errors, which
//! name the file and line, or the DataFrame and row.

use std::path::{Path, PathBuf};

use polars::prelude::DataFrame;

/// One table of the data contract: a file, or a DataFrame with a name for messages.
///
/// ```
/// use polars::prelude::*;
/// use vader_features::{Input, Meters};
///
/// let frame = df!(
///     "meter_id" => ["L1"], "name" => ["boiler"], "site" => ["S"], "commodity" => ["gas"],
/// )?;
/// let meters = Meters::read(Input::frame("meters", frame))?;
/// assert_eq!(meters.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub enum Input {
    /// A CSV or Parquet file, chosen by its extension.
    File(PathBuf),
    /// A DataFrame; cells may be typed (numbers, datetimes) or text, as in a CSV file.
    Frame {
        /// What the table is (`readings`, `meters`, ...), for messages: "the readings DataFrame".
        name: String,
        /// The table.
        frame: DataFrame,
    },
}

impl Input {
    /// A DataFrame holding the table `name` (`readings`, `meters`, ...).
    pub fn frame(name: impl Into<String>, frame: DataFrame) -> Self {
        Self::Frame { name: name.into(), frame }
    }

    /// How messages name the input: the file's path, or "the NAME DataFrame".
    pub fn label(&self) -> PathBuf {
        match self {
            Self::File(path) => path.clone(),
            Self::Frame { name, .. } => PathBuf::from(format!("the {name} DataFrame")),
        }
    }
}

impl From<&Path> for Input {
    fn from(path: &Path) -> Self {
        Self::File(path.to_path_buf())
    }
}

impl From<&PathBuf> for Input {
    fn from(path: &PathBuf) -> Self {
        Self::File(path.clone())
    }
}

impl From<PathBuf> for Input {
    fn from(path: PathBuf) -> Self {
        Self::File(path)
    }
}
