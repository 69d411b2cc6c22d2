//! The capacity alert drawn as a picture, as the buyers receive it on their phones.
//!
//! The picture is 1080 pixels wide (a phone's width) and drawn with the embedded DejaVu Sans,
//! so it looks the same on every machine.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::FontStyle;
use vader_backtest::AlertStatus;

use crate::api::capacity::CapacityAlert;
use crate::error::{Error, Result};
use crate::fonts::register_fonts;

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

/// Draws `alert` into `path` (PNG), replacing it only once drawing succeeded.
pub fn write_alert_png(alert: &CapacityAlert, path: &Path) -> Result<()> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Request(format!("{}: the picture needs a file name", path.display())))?;
    let tmp: PathBuf = path.with_file_name(format!(".{name}.tmp.png"));
    let drawn = draw(alert, &tmp);
    if drawn.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    drawn.map_err(|reason| Error::Drawing { path: path.to_path_buf(), reason })?;
    std::fs::rename(&tmp, path).map_err(Error::io(path, "writing"))
}

/// The alert as PNG bytes (for a mail or a web page).
pub fn alert_png(alert: &CapacityAlert) -> Result<Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("vader-picture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(Error::io(&dir, "creating the folder"))?;
    static DRAWN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = DRAWN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = dir.join(format!("alert-{}-{n}.png", alert.at.timestamp()));
    write_alert_png(alert, &path)?;
    let bytes = std::fs::read(&path).map_err(Error::io(&path, "reading"));
    let _ = std::fs::remove_file(&path);
    bytes
}

fn draw(alert: &CapacityAlert, path: &Path) -> std::result::Result<(), String> {
    register_fonts().map_err(|e| e.to_string())?;
    let rows = i32::try_from(alert.rows.len()).unwrap_or(i32::MAX / ROW - 10);
    let height = HEAD + ROW * (rows + 1) + 70;
    let root = BitMapBackend::new(path, (WIDTH, u32::try_from(height).unwrap_or(1))).into_drawing_area();
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    root.fill(&WHITE).map_err(err)?;

    let day = alert.rows.first().map(|r| r.gas_day.to_string()).unwrap_or_default();
    let over = alert.rows.iter().filter(|r| r.over_capacity == Some(true)).count();
    root.draw_text(&format!("Gas capacity · gas day {day}"), &text(44, true, INK), (MARGIN, 24))
        .map_err(err)?;
    let local = alert.at.with_timezone(&alert.tz).format("%d %b %H:%M");
    let unit = crate::api::capacity::display_unit(&alert.rows);
    let subtitle = format!("at {local} ({}) · {} · {}", alert.tz.name(), alert.how, unit.name);
    root.draw_text(&subtitle, &text(24, false, MUTED), (MARGIN, 82)).map_err(err)?;
    let verdict = if over == 0 {
        "no meter over capacity".to_string()
    } else {
        format!("{over} meter(s) OVER capacity")
    };
    root.draw_text(&verdict, &text(26, true, if over == 0 { OK } else { ALERT }), (MARGIN, 114))
        .map_err(err)?;

    // Columns: name (left-aligned), then numbers right-aligned at these x positions.
    let columns: [(&str, i32); 4] = [("so far", 610), ("projected", 770), ("capacity", 925), ("buy", 1050)];
    let top = HEAD;
    root.draw(&Rectangle::new([(0, top), (WIDTH as i32, top + ROW)], INK.filled())).map_err(err)?;
    let head = text(26, true, WHITE);
    root.draw_text("meter", &head, (MARGIN, top + 18)).map_err(err)?;
    for (label, right) in columns {
        let (w, _) = root.estimate_text_size(label, &head).map_err(err)?;
        root.draw_text(label, &head, (right - w as i32, top + 18)).map_err(err)?;
    }
    for (i, r) in alert.rows.iter().enumerate() {
        let y = top + ROW * (i as i32 + 1);
        let over = r.over_capacity == Some(true);
        let background = if over {
            ALERT_BG
        } else if i % 2 == 1 {
            BAND
        } else {
            WHITE
        };
        root.draw(&Rectangle::new([(0, y), (WIDTH as i32, y + ROW)], background.filled())).map_err(err)?;
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
                (Some(v), _) => unit.show(v, 1),
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
    let foot = format!("vader · as of {}", alert.at.format("%Y-%m-%dT%H:%MZ"));
    root.draw_text(&foot, &text(18, false, MUTED), (MARGIN, height - 40)).map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

fn text(size: u32, bold: bool, color: RGBColor) -> TextStyle<'static> {
    let style = if bold { FontStyle::Bold } else { FontStyle::Normal };
    let mut text = TextStyle::from(("sans-serif", size, style).into_font());
    text.color = color.to_backend_color();
    text
}
