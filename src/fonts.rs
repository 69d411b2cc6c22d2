//! The embedded DejaVu Sans, registered as plotters' `sans-serif` so that pictures and plots
//! look the same on every machine.

use plotters::style::{FontStyle, register_font};

/// Registers the embedded DejaVu Sans (regular and bold) as `sans-serif`.
pub(crate) fn register_fonts() -> Result<(), &'static str> {
    register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular()).map_err(|_| "bad font")?;
    register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold()).map_err(|_| "bad font")?;
    Ok(())
}
