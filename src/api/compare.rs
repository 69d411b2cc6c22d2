//! A/B test of two models from saved backtest results (`forecasts.parquet`).

use std::path::{Path, PathBuf};

use vader_backtest::Forecast;
use vader_backtest::ab::{AbParams, Loss, Paired, ab_test};
use vader_backtest::results::{Comparison, read_forecasts};

use crate::error::{Error, Result};

/// Which two models of which runs to compare.
#[derive(Debug, Clone)]
pub struct CompareRequest {
    /// Backtest results of the champion: a `forecasts.parquet` file or the folder holding it.
    pub champion_run: PathBuf,
    /// Backtest results of the challenger (may be the same run).
    pub challenger_run: PathBuf,
    /// The champion model in its run (needed when the run holds several models).
    pub champion: Option<String>,
    /// The challenger model in its run (needed when the run holds several models).
    pub challenger: Option<String>,
    /// The A/B parameters.
    pub ab: AbParams,
}

/// The comparison of two saved runs.
#[derive(Debug, Clone)]
pub struct Compared {
    /// The target both runs are for.
    pub target: String,
    /// In euros and in absolute error.
    pub comparison: Comparison,
}

/// Compares the two models of `request` on their paired days.
pub fn compare(request: &CompareRequest) -> Result<Compared> {
    let ab = request.ab.check()?;
    let (target_a, a, rows_a) = model_rows(&request.champion_run, request.champion.as_deref(), "champion")?;
    let (target_b, b, rows_b) =
        model_rows(&request.challenger_run, request.challenger.as_deref(), "challenger")?;
    if target_a != target_b {
        return Err(Error::Request(format!(
            "the runs are for different targets ({target_a} and {target_b})"
        )));
    }
    // The same model from two runs (per-meter against global, say) is named by its run too.
    let (a, b) = if a == b {
        (
            format!("{a} ({})", request.champion_run.display()),
            format!("{b} ({})", request.challenger_run.display()),
        )
    } else {
        (a, b)
    };
    let test = |loss| ab_test(&a, &b, &Paired::of(&rows_a, &rows_b, loss), loss, &ab);
    let comparison = Comparison { euros: test(Loss::Euros)?, error: test(Loss::AbsoluteError)? };
    Ok(Compared { target: target_a, comparison })
}

/// Reads a run and picks one model's rows from it.
fn model_rows(run: &Path, model: Option<&str>, role: &str) -> Result<(String, String, Vec<Forecast>)> {
    let file = if run.is_dir() { run.join("forecasts.parquet") } else { run.to_path_buf() };
    if !file.exists() {
        return Err(Error::Request(format!(
            "{}: no such backtest result (expected forecasts.parquet from `vader backtest`)",
            file.display()
        )));
    }
    let (target, rows) = read_forecasts(&file)?;
    let mut models: Vec<&str> = rows.iter().map(|f| f.model.as_str()).collect();
    models.sort_unstable();
    models.dedup();
    let chosen = match model {
        Some(m) if models.contains(&m) => m.to_string(),
        Some(m) => {
            return Err(Error::Request(format!(
                "{}: no model {m} (models: {})",
                file.display(),
                models.join(", ")
            )));
        }
        None if models.len() == 1 => models[0].to_string(),
        None => {
            return Err(Error::Request(format!(
                "{}: several models ({}); name the {role} with --{role}",
                file.display(),
                models.join(", ")
            )));
        }
    };
    let rows = rows.into_iter().filter(|f| f.model == chosen).collect();
    Ok((target, chosen, rows))
}
