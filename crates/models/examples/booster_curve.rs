//! vader's side of the booster scale curve (`benches/peers/booster_curve.py` runs both sides).
//!
//! `booster_curve FILE K1,K2 REPEAT` reads the rows the Python side wrote, fits K1 then K2
//! trees at LightGBM's default settings (no early stopping), each the best of REPEAT runs, and
//! prints the marginal seconds per tree and the held-out MAE after K2 trees as JSON. The thread
//! count comes from `RAYON_NUM_THREADS`.

use std::time::Instant;

use vader_models::gbm::{GbmParams, Loss};
use vader_models::{FeatureMatrix, Fit, Predict};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, file, trees, repeat] = args.as_slice() else {
        return Err("usage: booster_curve FILE K1,K2 REPEAT".into());
    };
    let bytes = std::fs::read(file)?;
    let word = |i: usize| -> Result<u64, Box<dyn std::error::Error>> {
        Ok(u64::from_le_bytes(bytes.get(i * 8..i * 8 + 8).ok_or("short file")?.try_into()?))
    };
    let (n_train, n_test, nfeat) = (word(0)? as usize, word(1)? as usize, word(2)? as usize);
    let floats: Vec<f64> = bytes[24..]
        .chunks_exact(8)
        .map(|c| c.try_into().map(f64::from_le_bytes))
        .collect::<Result<_, _>>()?;
    if floats.len() != (n_train + n_test) * (nfeat + 1) {
        return Err(
            format!("expected {} values, found {}", (n_train + n_test) * (nfeat + 1), floats.len()).into()
        );
    }
    let names: Vec<String> = (0..nfeat).map(|j| format!("x{j}")).collect();
    let (xt, rest) = floats.split_at(n_train * nfeat);
    let (yt, rest) = rest.split_at(n_train);
    let (xv, yv) = rest.split_at(n_test * nfeat);
    let train = FeatureMatrix::from_rows(names.clone(), &xt.chunks_exact(nfeat).collect::<Vec<_>>())?;
    let test = FeatureMatrix::from_rows(names, &xv.chunks_exact(nfeat).collect::<Vec<_>>())?;
    let (k1, k2) = trees.split_once(',').ok_or("trees: K1,K2")?;
    let (k1, k2): (usize, usize) = (k1.parse()?, k2.parse()?);
    let repeat: usize = repeat.parse()?;
    let mut best = [f64::INFINITY; 2];
    let mut model = None;
    for (slot, k) in [k1, k2].into_iter().enumerate() {
        let params = GbmParams {
            loss: Loss::Squared,
            validation_fraction: 0.0,
            max_rounds: k,
            ..GbmParams::default()
        }
        .check()?;
        for _ in 0..repeat {
            let start = Instant::now();
            let fitted = params.fit(&train, yt)?;
            best[slot] = best[slot].min(start.elapsed().as_secs_f64());
            model = Some(fitted);
        }
    }
    let model = model.ok_or("no model")?;
    let p = model.predict(&test)?;
    let mae = p.iter().zip(yv).map(|(a, b)| (a - b).abs()).sum::<f64>() / yv.len() as f64;
    let per_tree = (best[1] - best[0]) / (k2 - k1) as f64;
    println!(
        "{{\"per_tree\": {per_tree:e}, \"mae\": {mae}, \"trees\": {}, \"fit_seconds\": {}}}",
        model.rounds(),
        best[1]
    );
    Ok(())
}
