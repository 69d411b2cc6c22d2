//! The capacity alert drawn as a picture, as the buyers receive it on their phones.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use vader::backtest::{AlertRow, AlertStatus};

/// Width of the picture: a phone screen's width in pixels, so nothing needs zooming.
const WIDTH: u32 = 1080;
const MARGIN: i32 = 32;
const ROW: i32 = 64;
const HEAD: i32 = 150;

const INK: RGBColor = RGBColor(33, 37, 41);
const MUTED: RGBColor = RGBColor(108, 117, 125);
const BAND: RGBColor = RGBColor(241, 243, 245);
const ALERT: RGBColor = RGBColor(201, 42, 42);
const ALERT_BG: RGBColor = RGBColor(255, 227, 227);
const OK: RGBColor = RGBColor(43, 138, 62);

/// What the picture shows.
pub struct AlertPicture<'a> {
    pub rows: &'a [AlertRow],
    pub at: DateTime<Utc>,
    pub tz: Tz,
    /// How the projection was made, for the subtitle.
    pub how: &'a str,
}

impl AlertPicture<'_> {
    /// Draws the picture into `path` (PNG), replacing it only once drawing succeeded.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let name = path.file_name().and_then(|n| n.to_str()).context("--png needs a file name")?;
        let tmp: PathBuf = path.with_file_name(format!(".{name}.tmp.png"));
        let drawn = self.draw(&tmp);
        if drawn.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        drawn.with_context(|| format!("drawing {}", path.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
    }

    fn draw(&self, path: &Path) -> anyhow::Result<()> {
        register_fonts()?;
        let rows = i32::try_from(self.rows.len()).unwrap_or(i32::MAX / ROW - 10);
        let height = HEAD + ROW * (rows + 1) + 70;
        let root = BitMapBackend::new(path, (WIDTH, u32::try_from(height).unwrap_or(1))).into_drawing_area();
        let err = |e: DrawingAreaErrorKind<_>| anyhow!("{e}");
        root.fill(&WHITE).map_err(err)?;

        let day = self.rows.first().map(|r| r.gas_day.to_string()).unwrap_or_default();
        let over = self.rows.iter().filter(|r| r.over_capacity == Some(true)).count();
        root.draw_text(&format!("Gas capacity · gas day {day}"), &text(44, true, INK), (MARGIN, 24))
            .map_err(err)?;
        let local = self.at.with_timezone(&self.tz).format("%d %b %H:%M");
        let (divisor, unit) = super::capacity::display_unit(self.rows);
        let subtitle = format!("at {local} ({}) · {} · {unit}", self.tz.name(), self.how);
        root.draw_text(&subtitle, &text(24, false, MUTED), (MARGIN, 82)).map_err(err)?;
        let verdict = if over == 0 {
            "no meter over capacity".to_string()
        } else {
            format!("{over} meter(s) OVER capacity")
        };
        root.draw_text(&verdict, &text(26, true, if over == 0 { OK } else { ALERT }), (MARGIN, 114))
            .map_err(err)?;

        // Columns: name (left-aligned), then numbers right-aligned at these x positions.
        let columns: [(&str, i32); 4] =
            [("so far", 610), ("projected", 770), ("capacity", 925), ("buy", 1050)];
        let top = HEAD;
        root.draw(&Rectangle::new([(0, top), (WIDTH as i32, top + ROW)], INK.filled())).map_err(err)?;
        let head = text(26, true, WHITE);
        root.draw_text("meter", &head, (MARGIN, top + 18)).map_err(err)?;
        for (label, right) in columns {
            let (w, _) = root.estimate_text_size(label, &head).map_err(err)?;
            root.draw_text(label, &head, (right - w as i32, top + 18)).map_err(err)?;
        }
        for (i, r) in self.rows.iter().enumerate() {
            let y = top + ROW * (i as i32 + 1);
            let over = r.over_capacity == Some(true);
            let background = if over {
                ALERT_BG
            } else if i % 2 == 1 {
                BAND
            } else {
                WHITE
            };
            root.draw(&Rectangle::new([(0, y), (WIDTH as i32, y + ROW)], background.filled()))
                .map_err(err)?;
            let ink = if over { ALERT } else { INK };
            let name: String = r.name.chars().take(28).collect();
            root.draw_text(&name, &text(26, over, ink), (MARGIN, y + 8)).map_err(err)?;
            root.draw_text(&r.meter_id, &text(18, false, MUTED), (MARGIN, y + 38)).map_err(err)?;
            let values = [
                Some(r.consumed_kwh),
                r.projected_kwh,
                r.capacity_kwh,
                r.extra_capacity_kwh.filter(|x| *x > 0.0),
            ];
            for (value, (_, right)) in values.into_iter().zip(columns) {
                let label = match (value, r.status) {
                    (Some(v), _) => format!("{:.1}", v / divisor),
                    (None, AlertStatus::TooFewReadings | AlertStatus::NoReadings) if right == 770 => {
                        "no data".into()
                    }
                    (None, _) => "–".into(),
                };
                let style = text(28, over && right == 1050, ink);
                let (w, _) = root.estimate_text_size(&label, &style).map_err(err)?;
                root.draw_text(&label, &style, (right - w as i32, y + 16)).map_err(err)?;
            }
        }
        let foot = format!("vader · as of {}", self.at.format("%Y-%m-%dT%H:%MZ"));
        root.draw_text(&foot, &text(18, false, MUTED), (MARGIN, height - 40)).map_err(err)?;
        root.present().map_err(err)?;
        Ok(())
    }
}

/// Registers the embedded DejaVu Sans as plotters' `sans-serif` (regular and bold), so pictures
/// look the same on every machine.
pub fn register_fonts() -> anyhow::Result<()> {
    register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
        .map_err(|_| anyhow!("bad font"))?;
    register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold()).map_err(|_| anyhow!("bad font"))?;
    Ok(())
}

fn text(size: u32, bold: bool, color: RGBColor) -> TextStyle<'static> {
    let style = if bold { FontStyle::Bold } else { FontStyle::Normal };
    let mut text = TextStyle::from(("sans-serif", size, style).into_font());
    text.color = color.to_backend_color();
    text
}
