//! A/B comparison of two models on the same decisions: which one to keep, and how sure that is.
//!
//! The two models' losses are paired by decision (meter and interval), summed (euros) or averaged
//! (absolute error) per day, and the daily differences `d_t = champion_t − challenger_t` are
//! tested: a positive mean is what the challenger would have saved.
//!
//! - **Interval**: moving-block bootstrap of the mean of `d` (Künsch 1989), blocks of
//!   `⌈n^(1/3)⌉` days by default so that a cold week stays in one piece, percentile interval;
//!   deterministic for a seed.
//! - **Test**: Diebold-Mariano (1995) with the long-run variance of `d` by Newey-West (Bartlett
//!   weights, `⌊4 (n/100)^(2/9)⌋` lags by default) and the Harvey-Leybourne-Newbold (1997)
//!   small-sample correction, compared with Student's t with `n − 1` degrees of freedom.
//! - **Verdict** at level α: "adopt challenger" when the test rejects equality and the challenger
//!   saves, "keep champion" when it rejects and the champion is better, else "no significant
//!   difference" (the champion stays).
//!
//! ```
//! use vader_backtest::ab::{diebold_mariano, long_run_variance};
//!
//! let d = [1.0, -0.5, 2.0, 0.5, 1.5, -1.0, 0.8, 1.2];
//! // With no lags, the long-run variance is the plain variance (divisor n).
//! let mean = d.iter().sum::<f64>() / 8.0;
//! let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 8.0;
//! assert!((long_run_variance(&d, 0) - var).abs() < 1e-12);
//! let test = diebold_mariano(&d, 1, Some(0)).expect("enough days");
//! assert!(test.p_value > 0.0 && test.p_value < 0.1);
//! ```

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::error::{Error, Result};
use crate::params::{Valid, invalid};
use crate::walk_forward::Forecast;

/// What is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// Euros per day (summed over meters and intervals).
    Euros,
    /// Mean absolute error of the day's paired forecasts, kWh.
    AbsoluteError,
}

impl Loss {
    /// The loss as written in files (`euros`, `absolute_error`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Euros => "euros",
            Self::AbsoluteError => "absolute_error",
        }
    }

    /// Unit of the loss, for reports.
    pub fn unit(self) -> &'static str {
        match self {
            Self::Euros => "EUR/day",
            Self::AbsoluteError => "kWh",
        }
    }
}

/// Daily losses of two models over the days both were scored on.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Paired {
    /// The days, in order.
    pub days: Vec<NaiveDate>,
    /// The champion's loss each day.
    pub champion: Vec<f64>,
    /// The challenger's loss each day.
    pub challenger: Vec<f64>,
}

impl Paired {
    /// Pairs the forecasts of two models by meter and interval (only decisions both made and
    /// both were scored on) and aggregates `loss` by day.
    pub fn of<'a>(
        champion: impl IntoIterator<Item = &'a Forecast>,
        challenger: impl IntoIterator<Item = &'a Forecast>,
        loss: Loss,
    ) -> Self {
        let value = |f: &Forecast| match loss {
            Loss::Euros => f.cost_eur,
            Loss::AbsoluteError => (f.forecast_kwh - f.actual_kwh).abs(),
        };
        let first: HashMap<(&str, i64, i64), f64> = champion
            .into_iter()
            .map(|f| ((f.meter_id.as_str(), f.start, f.decision_at), value(f)))
            .filter(|(_, v)| v.is_finite())
            .collect();
        let mut days: BTreeMap<NaiveDate, (f64, f64, usize)> = BTreeMap::new();
        for f in challenger {
            let b = value(f);
            let Some(&a) = first.get(&(f.meter_id.as_str(), f.start, f.decision_at)) else { continue };
            if b.is_finite() {
                let day = days.entry(f.day).or_default();
                *day = (day.0 + a, day.1 + b, day.2 + 1);
            }
        }
        let mut out = Self::default();
        for (day, (a, b, n)) in days {
            let scale = match loss {
                Loss::Euros => 1.0,
                Loss::AbsoluteError => n as f64,
            };
            out.days.push(day);
            out.champion.push(a / scale);
            out.challenger.push(b / scale);
        }
        out
    }

    /// Daily savings of the challenger: `champion − challenger`.
    pub fn savings(&self) -> Vec<f64> {
        self.champion.iter().zip(&self.challenger).map(|(a, b)| a - b).collect()
    }
}

/// How the comparison is run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AbParams {
    /// Significance level α of the test; the interval has level `1 − α`.
    pub level: f64,
    /// Bootstrap resamples.
    pub resamples: usize,
    /// Block length in days; default `⌈n^(1/3)⌉`.
    pub block_len: Option<usize>,
    /// Seed of the bootstrap.
    pub seed: u64,
}

impl Default for AbParams {
    fn default() -> Self {
        Self { level: 0.05, resamples: 2000, block_len: None, seed: 20_261_125 }
    }
}

impl AbParams {
    /// Checks the level (strictly between 0 and 0.5: a two-sided test at a level of one half
    /// or more says nothing), the resamples (100 to 1,000,000) and the block length (1 to 365
    /// days, when given).
    pub fn check(self) -> Result<Valid<Self>> {
        if !(self.level > 0.0 && self.level < 0.5) {
            return invalid("level", format!("must be between 0 and 0.5, got {}", self.level));
        }
        if !(100..=1_000_000).contains(&self.resamples) {
            return invalid("resamples", format!("must be between 100 and 1000000, got {}", self.resamples));
        }
        if let Some(b) = self.block_len
            && !(1..=365).contains(&b)
        {
            return invalid("block_len", format!("must be between 1 and 365 days, got {b}"));
        }
        Ok(Valid::checked(self))
    }
}

/// What the comparison concludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The champion is significantly better.
    KeepChampion,
    /// The challenger is significantly better.
    AdoptChallenger,
    /// No significant difference: the champion stays.
    NoSignificantDifference,
}

impl Verdict {
    /// The verdict in words.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::KeepChampion => "keep champion",
            Self::AdoptChallenger => "adopt challenger",
            Self::NoSignificantDifference => "no significant difference",
        }
    }

    /// The verdict named in words ([`Verdict::as_str`]), if it is one.
    ///
    /// ```
    /// use vader_backtest::ab::Verdict;
    /// assert_eq!(Verdict::from_words("adopt challenger"), Some(Verdict::AdoptChallenger));
    /// assert_eq!(Verdict::from_words("adopt"), None);
    /// ```
    pub fn from_words(words: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == words)
    }

    /// Every verdict, in the order they are listed in messages.
    const ALL: [Self; 3] = [Self::KeepChampion, Self::AdoptChallenger, Self::NoSignificantDifference];
}

/// Serde form of a [`Verdict`] in words (`"adopt challenger"`), as reference files write it.
pub(crate) mod verdict_words {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    use super::Verdict;

    pub(crate) fn serialize<S: Serializer>(verdict: &Verdict, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(verdict.as_str())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Verdict, D::Error> {
        let words = String::deserialize(d)?;
        Verdict::from_words(&words).ok_or_else(|| {
            let known: Vec<String> = Verdict::ALL.iter().map(|v| format!("{:?}", v.as_str())).collect();
            D::Error::custom(format!("unknown verdict {words:?}: expected one of {}", known.join(", ")))
        })
    }
}

/// The Diebold-Mariano test of a series of loss differences.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DmTest {
    /// `d̄ / √(σ̂²_LR / n)`.
    pub statistic: f64,
    /// The statistic times the Harvey-Leybourne-Newbold factor.
    pub hln_statistic: f64,
    /// Two-sided p-value of the corrected statistic against Student's t, `n − 1` d.f.
    pub p_value: f64,
    /// Newey-West lags used.
    pub lags: usize,
    /// Long-run variance `σ̂²_LR` of `d`.
    pub long_run_variance: f64,
}

/// Result of an A/B comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbTest {
    /// The model in use.
    pub champion: String,
    /// The model that would replace it.
    pub challenger: String,
    /// What was compared.
    pub loss: Loss,
    /// Days paired.
    pub days: usize,
    /// Mean daily loss of the champion.
    pub champion_mean: f64,
    /// Mean daily loss of the challenger.
    pub challenger_mean: f64,
    /// Mean daily saving of the challenger (`champion − challenger`).
    pub mean_saving: f64,
    /// Lower end of the bootstrap interval of the mean saving.
    pub ci_low: f64,
    /// Upper end of the bootstrap interval of the mean saving.
    pub ci_high: f64,
    /// Bootstrap block length, days.
    pub block_len: usize,
    /// The Diebold-Mariano test (none when all differences are equal).
    pub dm: Option<DmTest>,
    /// Level α the verdict was taken at.
    pub level: f64,
    /// The verdict.
    pub verdict: Verdict,
}

/// Newey-West's rule of thumb for the number of lags: `⌊4 (n/100)^(2/9)⌋`.
pub fn newey_west_lags(n: usize) -> usize {
    (4.0 * (n as f64 / 100.0).powf(2.0 / 9.0)).floor() as usize
}

/// Long-run variance of `d` (Newey-West, Bartlett weights `1 − k/(lags + 1)`, autocovariances
/// with divisor n).
pub fn long_run_variance(d: &[f64], lags: usize) -> f64 {
    let n = d.len();
    if n == 0 {
        return f64::NAN;
    }
    let mean = d.iter().sum::<f64>() / n as f64;
    let gamma = |k: usize| (k..n).map(|t| (d[t] - mean) * (d[t - k] - mean)).sum::<f64>() / n as f64;
    let mut var = gamma(0);
    for k in 1..=lags.min(n - 1) {
        var += 2.0 * (1.0 - k as f64 / (lags as f64 + 1.0)) * gamma(k);
    }
    var
}

/// Diebold-Mariano test of `d` for forecasts `horizon` steps ahead, with the HLN correction;
/// lags default to Newey-West's rule (at least `horizon − 1`). None with fewer than 3 values or
/// a zero variance.
pub fn diebold_mariano(d: &[f64], horizon: usize, lags: Option<usize>) -> Option<DmTest> {
    let n = d.len();
    if n < 3 {
        return None;
    }
    let h = horizon.max(1) as f64;
    let lags = lags.unwrap_or_else(|| newey_west_lags(n).max(horizon.saturating_sub(1)));
    let positive = |v: f64| (v > 0.0).then_some(v);
    // Bartlett weights keep the estimate non-negative; zero means d is constant.
    let variance = positive(long_run_variance(d, lags)).or_else(|| positive(long_run_variance(d, 0)))?;
    let nf = n as f64;
    let mean = d.iter().sum::<f64>() / nf;
    let statistic = mean / (variance / nf).sqrt();
    let hln = ((nf + 1.0 - 2.0 * h + h * (h - 1.0) / nf) / nf).sqrt();
    let hln_statistic = statistic * hln;
    let t = StudentsT::new(0.0, 1.0, nf - 1.0).ok()?;
    let p_value = (2.0 * (1.0 - t.cdf(hln_statistic.abs()))).clamp(0.0, 1.0);
    Some(DmTest { statistic, hln_statistic, p_value, lags, long_run_variance: variance })
}

/// Percentile interval of the mean of `d` at level `1 − alpha` by moving-block bootstrap:
/// `resamples` series of `n` values, each made of blocks of `block` consecutive values starting
/// anywhere in `d` (the last block cut to length), seeded.
pub fn block_bootstrap_mean_ci(
    d: &[f64],
    block: usize,
    resamples: usize,
    alpha: f64,
    seed: u64,
) -> (f64, f64) {
    let n = d.len();
    if n == 0 || resamples == 0 {
        return (f64::NAN, f64::NAN);
    }
    let block = block.clamp(1, n);
    let mut prefix = vec![0.0; n + 1];
    for (i, v) in d.iter().enumerate() {
        prefix[i + 1] = prefix[i] + v;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| {
            let (mut taken, mut sum) = (0, 0.0);
            while taken < n {
                let start = rng.random_range(0..=n - block);
                let len = block.min(n - taken);
                sum += prefix[start + len] - prefix[start];
                taken += len;
            }
            sum / n as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    (quantile_sorted(&means, alpha / 2.0), quantile_sorted(&means, 1.0 - alpha / 2.0))
}

/// Quantile of sorted values with linear interpolation (Hyndman-Fan type 7).
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, frac) = (pos.floor() as usize, pos - pos.floor());
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + frac * (sorted[hi] - sorted[lo])
}

/// Compares `challenger` with `champion` on paired daily losses.
pub fn ab_test(
    champion: &str,
    challenger: &str,
    paired: &Paired,
    loss: Loss,
    params: &Valid<AbParams>,
) -> Result<AbTest> {
    let d = paired.savings();
    let n = d.len();
    if n < 3 {
        return Err(Error::TooFewDays { champion: champion.into(), challenger: challenger.into(), days: n });
    }
    let nf = n as f64;
    let block_len = params.block_len.unwrap_or_else(|| nf.cbrt().ceil() as usize).clamp(1, n);
    let (ci_low, ci_high) =
        block_bootstrap_mean_ci(&d, block_len, params.resamples, params.level, params.seed);
    let mean_saving = d.iter().sum::<f64>() / nf;
    let dm = diebold_mariano(&d, 1, None);
    let verdict = match dm {
        Some(t) if t.p_value < params.level && mean_saving > 0.0 => Verdict::AdoptChallenger,
        Some(t) if t.p_value < params.level && mean_saving < 0.0 => Verdict::KeepChampion,
        _ => Verdict::NoSignificantDifference,
    };
    Ok(AbTest {
        champion: champion.to_string(),
        challenger: challenger.to_string(),
        loss,
        days: n,
        champion_mean: paired.champion.iter().sum::<f64>() / nf,
        challenger_mean: paired.challenger.iter().sum::<f64>() / nf,
        mean_saving,
        ci_low,
        ci_high,
        block_len,
        dm,
        level: params.level,
        verdict,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixed input of `tests/reference/diebold_mariano.py`.
    const D: [f64; 20] = [
        12.0, -3.5, 8.25, 4.0, 15.5, 9.0, -6.0, 2.5, 11.0, 7.75, -1.25, 3.0, 14.0, 5.5, -2.0, 6.5, 10.25,
        0.5, 4.75, 9.5,
    ];

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1e-12)
    }

    #[test]
    fn the_diebold_mariano_test_matches_statsmodels_and_scipy() {
        // (lags, long-run variance, DM, HLN-corrected DM, p-value) from the reference script.
        let reference = [
            (0, 33.36171874999999, 4.306860582401939, 4.1978084368435855, 0.0004877489847422706),
            (2, 12.896614583333326, 6.927031479590484, 6.75163512515862, 1.8887638586423493e-06),
            (4, 7.3470312499999935, 9.17759900600507, 8.945217009065457, 3.0707461668846335e-08),
        ];
        for (lags, lrv, dm, hln, p) in reference {
            let t = diebold_mariano(&D, 1, Some(lags)).expect("20 values");
            assert!(close(t.long_run_variance, lrv), "lags {lags}: {} vs {lrv}", t.long_run_variance);
            assert!(close(t.statistic, dm), "lags {lags}: {} vs {dm}", t.statistic);
            assert!(close(t.hln_statistic, hln), "lags {lags}: {} vs {hln}", t.hln_statistic);
            assert!((t.p_value - p).abs() < 1e-12 + 1e-6 * p, "lags {lags}: {} vs {p}", t.p_value);
        }
        assert_eq!(newey_west_lags(20), 2);
        assert_eq!(newey_west_lags(365), 5);
        assert!(diebold_mariano(&[1.0, 1.0, 1.0, 1.0], 1, None).is_none());
    }

    #[test]
    fn the_block_bootstrap_is_seeded_and_sensible() {
        let mean = D.iter().sum::<f64>() / 20.0;
        // One block of the whole series: every resample is the series itself.
        let (lo, hi) = block_bootstrap_mean_ci(&D, 20, 200, 0.05, 1);
        assert!(close(lo, mean) && close(hi, mean), "{lo} {hi} {mean}");
        // Blocks of one: the interval is close to mean ± 1.96 sd/√n (plain bootstrap).
        let (lo, hi) = block_bootstrap_mean_ci(&D, 1, 20_000, 0.05, 7);
        let sd = (D.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 20.0).sqrt();
        let half = 1.96 * sd / 20f64.sqrt();
        assert!((lo - (mean - half)).abs() < 0.1 * half && (hi - (mean + half)).abs() < 0.1 * half);
        assert_eq!(block_bootstrap_mean_ci(&D, 3, 500, 0.1, 9), block_bootstrap_mean_ci(&D, 3, 500, 0.1, 9));
    }

    #[test]
    fn the_verdict_follows_the_sign_and_the_test() -> Result<()> {
        let days: Vec<NaiveDate> =
            (0..20).map(|i| NaiveDate::from_ymd_opt(2025, 1, 1 + i).unwrap_or_default()).collect();
        let base = vec![100.0; 20];
        let better: Vec<f64> = D.iter().map(|d| 100.0 - d).collect();
        let paired = Paired { days: days.clone(), champion: base.clone(), challenger: better.clone() };
        let t = ab_test("a", "b", &paired, Loss::Euros, &AbParams::default().check()?)?;
        assert_eq!(t.verdict, Verdict::AdoptChallenger);
        assert!(t.ci_low > 0.0 && t.ci_low < t.mean_saving && t.mean_saving < t.ci_high);
        let swapped = Paired { days: days.clone(), champion: better, challenger: base };
        assert_eq!(
            ab_test("b", "a", &swapped, Loss::Euros, &AbParams::default().check()?)?.verdict,
            Verdict::KeepChampion
        );
        let noise: Vec<f64> = D.iter().enumerate().map(|(i, d)| if i % 2 == 0 { *d } else { -d }).collect();
        let centred = Paired {
            days,
            champion: noise.iter().map(|d| 100.0 + d).collect(),
            challenger: noise.iter().map(|d| 100.0 - d).collect(),
        };
        let t = ab_test("a", "b", &centred, Loss::Euros, &AbParams::default().check()?)?;
        assert_eq!(t.verdict, Verdict::NoSignificantDifference, "{t:?}");
        Ok(())
    }

    #[test]
    fn a_verdict_in_words_reads_back_and_a_wrong_one_is_named() -> std::result::Result<(), serde_json::Error>
    {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Held {
            #[serde(with = "super::verdict_words")]
            verdict: Verdict,
        }
        for verdict in Verdict::ALL {
            let text = serde_json::to_string(&Held { verdict })?;
            assert_eq!(text, format!("{{\"verdict\":\"{}\"}}", verdict.as_str()));
            assert_eq!(serde_json::from_str::<Held>(&text)?, Held { verdict });
        }
        let wrong = serde_json::from_str::<Held>(r#"{"verdict":"adopt_challenger"}"#).map(|h| h.verdict);
        assert!(wrong.is_err_and(|e| e.to_string().contains("unknown verdict \"adopt_challenger\"")));
        Ok(())
    }
}
