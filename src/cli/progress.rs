//! A progress bar for long runs, drawn on standard error only when it is a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vader::backtest::Progress;

/// A progress bar on standard error, drawn only on a terminal.
pub struct Bar(ProgressBar);

impl Bar {
    /// A hidden bar until the first stage begins.
    pub fn new() -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{prefix:>9} [{bar:32}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        Self(bar)
    }

    /// Clears the bar.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl Progress for Bar {
    fn stage(&self, what: &str, total: u64) {
        self.0.set_prefix(what.to_string());
        self.0.set_length(total);
        self.0.set_position(0);
    }

    fn step(&self) {
        self.0.inc(1);
    }
}
