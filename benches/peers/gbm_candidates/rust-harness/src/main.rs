//! Scratch harness: per-meter + pooled GBDT evaluation for perpetual and forust-ml.
//! Usage: gbm-harness <data.csv> <config> <out.json>
//! configs: perp-b<budget>-<full|80>  (e.g. perp-b0.5-full, perp-b1.3-80), forust, hessboost,
//!          vader, vader-offset-refit, vader-offset-norefit (vader_models::gbm from ../vader-snapshot)
use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

const MAX_ROUNDS: usize = 2000;
const PATIENCE: usize = 50;

struct Row { meter: String, day: String, x: Vec<f64>, y: f64 }

fn load(path: &str) -> (Vec<String>, Vec<Row>) {
    let mut rdr = csv::Reader::from_path(path).expect("open csv");
    let h: Vec<String> = rdr.headers().unwrap().iter().map(|s| s.to_string()).collect();
    let a = h.iter().position(|c| c == "decision_at").unwrap();
    let b = h.iter().position(|c| c == "actual_kwh").unwrap();
    let im = h.iter().position(|c| c == "meter_id").unwrap();
    let id = h.iter().position(|c| c == "day").unwrap();
    let feats = h[a + 1..b].to_vec();
    assert_eq!(feats.len(), 25);
    let p = |s: &str| if s.is_empty() { f64::NAN } else { s.parse::<f64>().unwrap_or(f64::NAN) };
    let mut rows = Vec::new();
    for r in rdr.records() {
        let r = r.unwrap();
        rows.push(Row { meter: r[im].to_string(), day: r[id].to_string(),
            x: (a + 1..b).map(|j| p(&r[j])).collect(), y: p(&r[b]) });
    }
    rows.sort_by(|p, q| (p.meter.as_str(), p.day.as_str()).cmp(&(q.meter.as_str(), q.day.as_str())));
    (feats, rows)
}

/// column-major buffer
fn colmajor(rows: &[&Row], extra: &dyn Fn(&Row) -> Vec<f64>) -> (Vec<f64>, usize, usize) {
    let ncol = rows[0].x.len() + extra(rows[0]).len();
    let mut v = vec![0.0; rows.len() * ncol];
    for (i, r) in rows.iter().enumerate() {
        let mut full = r.x.clone();
        full.extend(extra(r));
        for j in 0..ncol { v[j * rows.len() + i] = full[j]; }
    }
    (v, rows.len(), ncol)
}

enum Tool { Perp { budget: f32, full: bool }, Forust, Hess, Vader { offset: bool, refit: bool } }

thread_local! { static NAMES: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) }; }

struct Fitted { pred: Box<dyn Fn(&[f64], usize, usize) -> Vec<f64>>, json: String, rounds: usize,
                reload_pred: Box<dyn Fn(&[f64], usize, usize) -> Vec<f64>> }

/// train rows (time-ordered), fits and returns predictor + fit seconds
fn fit(tool: &Tool, tr: &[&Row], extra: &dyn Fn(&Row) -> Vec<f64>, cat: Option<HashSet<usize>>, onehot: bool)
    -> (Fitted, f64) {
    let _ = onehot;
    let n = tr.len();
    let nv = ((n as f64) * 0.2).round() as usize;
    let cut = n - nv;
    match tool {
        Tool::Perp { budget, full } => {
            use perpetual::{Matrix, PerpetualBooster, objective::Objective, booster::config::BoosterIO};
            let rows: Vec<&Row> = if *full { tr.to_vec() } else { tr[..cut].to_vec() };
            let (buf, r, c) = colmajor(&rows, extra);
            let y: Vec<f64> = rows.iter().map(|r| r.y).collect();
            let mut m = PerpetualBooster::default().set_objective(Objective::SquaredLoss)
                .set_budget(*budget).set_num_threads(Some(1)).set_seed(42).set_max_bin(255)
                .set_categorical_features(cat);
            let t0 = Instant::now();
            m.fit(&Matrix::new(&buf, r, c), &y, None, None).unwrap();
            let dt = t0.elapsed().as_secs_f64();
            let json = m.json_dump().unwrap();
            let m2 = PerpetualBooster::from_json(&json).unwrap();
            let rounds = m.get_prediction_trees().len();
            (Fitted { pred: Box::new(move |d, r, c| m.predict(&Matrix::new(d, r, c), false)), json, rounds,
                      reload_pred: Box::new(move |d, r, c| m2.predict(&Matrix::new(d, r, c), false)) }, dt)
        }
        Tool::Hess => {
            use hessboost::prelude::*;
            use hessboost::config::GrowPolicy;
            fn rm(cm: &[f64], r: usize, c: usize) -> Vec<f32> {
                let mut v = vec![0f32; r * c];
                for i in 0..r { for j in 0..c { v[i * c + j] = cm[j * r + i] as f32; } }
                v
            }
            let (buf, r, c) = colmajor(&tr[..cut], extra);
            let y: Vec<f32> = tr[..cut].iter().map(|r| r.y as f32).collect();
            let (vbuf, vr, vc) = colmajor(&tr[cut..], extra);
            let vy: Vec<f32> = tr[cut..].iter().map(|r| r.y as f32).collect();
            let params = TrainingParams::builder()
                .objective(Objective::SquaredError(RegLoss::default()))
                .tree_method(TreeMethod::Hist).grow_policy(GrowPolicy::LossGuide)
                .max_leaves(31).unlimited_depth().eta(0.05).min_child_weight(20.0).lambda(0.0)
                .max_bin(255).nthread(1).seed(42)
                .build().unwrap();
            let t0 = Instant::now();
            let dtrain = DMatrix::from_dense_vec(rm(&buf, r, c), r, c).unwrap().with_labels(&y).unwrap();
            let dvalid = DMatrix::from_dense_vec(rm(&vbuf, vr, vc), vr, vc).unwrap().with_labels(&vy).unwrap();
            let out = Trainer::new(&params, &dtrain, MAX_ROUNDS).eval(&dvalid, "valid")
                .early_stopping_rounds(std::num::NonZeroUsize::new(PATIENCE).unwrap()).train().unwrap();
            let dt = t0.elapsed().as_secs_f64();
            let m = out.model;
            let rounds = m.best_iteration().map(|b| b + 1).unwrap_or(m.num_trees());
            let path = format!("/tmp/hessboost_model_{}.json", std::process::id());
            m.save(&path, ModelFormat::Json).unwrap();
            let json = std::fs::read_to_string(&path).unwrap();
            let m2 = BoostedModel::load(&path, ModelFormat::Json).unwrap();
            let pred = move |mm: &BoostedModel, d: &[f64], r: usize, c: usize| -> Vec<f64> {
                let dm = DMatrix::from_dense_vec(rm(d, r, c), r, c).unwrap();
                mm.predict(&dm, Iterations::Best).unwrap().as_slice().iter().map(|v| *v as f64).collect()
            };
            (Fitted { pred: Box::new(move |d, r, c| pred(&m, d, r, c)), json, rounds,
                      reload_pred: Box::new(move |d, r, c| pred(&m2, d, r, c)) }, dt)
        }
        Tool::Vader { offset, refit } => {
            use vader_models::{FeatureMatrix, Fit, Predict, gbm::{FittedGbm, GbmParams, Loss}};
            let names: Vec<String> = NAMES.with(|n| n.borrow().clone());
            let params = GbmParams { loss: Loss::Squared, learning_rate: 0.05, max_rounds: MAX_ROUNDS,
                early_stopping_rounds: PATIENCE, validation_fraction: 0.2, max_leaves: 31, min_data_in_leaf: 20,
                lambda_l2: 0.0, max_bins: 255, offset: if *offset { Some("last_day".into()) } else { None },
                refit_on_all: *refit }.check().unwrap();
            // ALL training rows: fit() holds out the last 20% itself
            let (buf, r, c) = colmajor(tr, extra);
            assert_eq!(c, names.len());
            let y: Vec<f64> = tr.iter().map(|r| r.y).collect();
            fn rm(cm: &[f64], r: usize, c: usize) -> Vec<f64> {
                let mut v = vec![0f64; r * c];
                for i in 0..r { for j in 0..c { v[i * c + j] = cm[j * r + i]; } }
                v
            }
            let t0 = Instant::now();
            let x = FeatureMatrix::new(names.clone(), ndarray::Array2::from_shape_vec((r, c), rm(&buf, r, c)).unwrap()).unwrap();
            let m: FittedGbm = params.fit(&x, &y).unwrap();
            let dt = t0.elapsed().as_secs_f64();
            let json = serde_json::to_string(&m).unwrap();
            let m2: FittedGbm = serde_json::from_str(&json).unwrap();
            let rounds = m.rounds();
            let n2 = names.clone();
            let pred = move |mm: &FittedGbm, nm: &Vec<String>, d: &[f64], r: usize, c: usize| -> Vec<f64> {
                let x = FeatureMatrix::new(nm.clone(), ndarray::Array2::from_shape_vec((r, c), rm(d, r, c)).unwrap()).unwrap();
                mm.predict(&x).unwrap()
            };
            (Fitted { pred: Box::new(move |d, r, c| pred(&m, &names, d, r, c)), json, rounds,
                      reload_pred: Box::new(move |d, r, c| pred(&m2, &n2, d, r, c)) }, dt)
        }
        Tool::Forust => {
            use forust_ml::{GradientBooster, Matrix, objective::ObjectiveType, gradientbooster::GrowPolicy,
                            metric::Metric};
            let (buf, r, c) = colmajor(&tr[..cut], extra);
            let y: Vec<f64> = tr[..cut].iter().map(|r| r.y).collect();
            let (vbuf, vr, vc) = colmajor(&tr[cut..], extra);
            let vy: Vec<f64> = tr[cut..].iter().map(|r| r.y).collect();
            let w = vec![1.0; r]; let vw = vec![1.0; vr];
            let mut m = GradientBooster::default().set_objective_type(ObjectiveType::SquaredLoss)
                .set_iterations(MAX_ROUNDS).set_learning_rate(0.05)
                .set_max_leaves(31).set_max_depth(64)
                .set_min_leaf_weight(20.0) // hessian==1 for squared loss -> min 20 rows per leaf
                .set_l2(0.0).set_gamma(0.0).set_nbins(255).set_parallel(false).set_num_threads(Some(1))
                .set_seed(42).set_evaluation_metric(Some(Metric::RootMeanSquaredError))
                .set_early_stopping_rounds(Some(PATIENCE));
            m.grow_policy = GrowPolicy::LossGuide; // leaf-wise like LightGBM (no setter in 0.8.0)
            let t0 = Instant::now();
            m.fit(&Matrix::new(&buf, r, c), &y, &w, Some(vec![(Matrix::new(&vbuf, vr, vc), &vy[..], &vw[..])])).unwrap();
            let dt = t0.elapsed().as_secs_f64();
            let json = m.json_dump().unwrap();
            let m2 = GradientBooster::from_json(&json).unwrap();
            let rounds = m.prediction_iteration.unwrap_or(m.trees.len());
            (Fitted { pred: Box::new(move |d, r, c| m.predict(&Matrix::new(d, r, c), false)), json, rounds,
                      reload_pred: Box::new(move |d, r, c| m2.predict(&Matrix::new(d, r, c), false)) }, dt)
        }
    }
}

fn split<'a>(rows: &[&'a Row]) -> (Vec<&'a Row>, Vec<&'a Row>) {
    let tr = rows.iter().filter(|r| r.day.as_str() <= "2024-12-31" && r.y.is_finite()).copied().collect();
    let te = rows.iter().filter(|r| r.day.as_str() >= "2025-01-01" && r.day.as_str() <= "2025-12-31" && r.y.is_finite()).copied().collect();
    (tr, te)
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let (path, cfg, out) = (&a[1], &a[2], &a[3]);
    let tool = if cfg == "forust" { Tool::Forust } else if cfg == "hessboost" { Tool::Hess }
    else if cfg == "vader" { Tool::Vader { offset: false, refit: false } }
    else if cfg == "vader-offset-refit" { Tool::Vader { offset: true, refit: true } }
    else if cfg == "vader-offset-norefit" { Tool::Vader { offset: true, refit: false } } else {
        let p: Vec<&str> = cfg.split('-').collect(); // perp-b0.5-full
        Tool::Perp { budget: p[1][1..].parse().unwrap(), full: p[2] == "full" }
    };
    let (feats, rows) = load(path);
    NAMES.with(|n| *n.borrow_mut() = feats.clone());
    let mut by: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for r in &rows { by.entry(r.meter.clone()).or_default().push(r); }
    let none = |_: &Row| Vec::<f64>::new();

    let (mut errs, mut times, mut per) = (Vec::new(), Vec::new(), Vec::new());
    let mut last: Option<(Fitted, Vec<&Row>)> = None;
    let mut det = true; let mut serde_ok = true; let mut json_same = true; let mut max_pred_diff = 0.0f64;
    for (i, (mid, rs)) in by.iter().enumerate() {
        let (tr, te) = split(rs);
        let (f, dt) = fit(&tool, &tr, &none, None, false);
        let (tb, r, c) = colmajor(&te, &none);
        let p = (f.pred)(&tb, r, c);
        let e: Vec<f64> = p.iter().zip(&te).map(|(p, t)| (p - t.y).abs()).collect();
        let mae = e.iter().sum::<f64>() / e.len() as f64;
        serde_ok &= (f.reload_pred)(&tb, r, c) == p;
        if i == 0 { // determinism: refit, compare bitwise
            let (f2, _) = fit(&tool, &tr, &none, None, false);
            let p2 = (f2.pred)(&tb, r, c);
            det = p2 == p;
            json_same = f2.json == f.json;
            max_pred_diff = p.iter().zip(&p2).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        }
        per.push(format!("{{\"meter\":\"{mid}\",\"n_train\":{},\"n_test\":{},\"rounds\":{},\"train_s\":{dt},\"mae\":{mae}}}", tr.len(), te.len(), f.rounds));
        errs.extend(e); times.push(dt);
        last = Some((f, te));
    }
    let mae = errs.iter().sum::<f64>() / errs.len() as f64;
    let total: f64 = times.iter().sum();
    let mut st = times.clone(); st.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = (st[4] + st[5]) / 2.0;

    // latency with last meter's model
    let (f, te) = last.unwrap();
    let (one, _, c) = colmajor(&te[..1], &none);
    for _ in 0..100 { (f.pred)(&one, 1, c); }
    let n1 = 5000; let t0 = Instant::now();
    let mut sink = 0.0;
    for _ in 0..n1 { sink += (f.pred)(&one, 1, c)[0]; }
    let lat1 = t0.elapsed().as_secs_f64() / n1 as f64;
    let r1000: Vec<&Row> = (0..1000).map(|i| te[i % te.len()]).collect();
    let (b1000, _, _) = colmajor(&r1000, &none);
    let t0 = Instant::now();
    for _ in 0..50 { sink += (f.pred)(&b1000, 1000, c)[0]; }
    let lat1000 = t0.elapsed().as_secs_f64() / 50.0;
    let model_json_kb = f.json.len() as f64 / 1024.0;

    // pooled fit
    let meters: Vec<String> = by.keys().cloned().collect();
    let mut ptr: Vec<&Row> = Vec::new(); let mut pte: Vec<&Row> = Vec::new();
    for rs in by.values() { let (a, b) = split(rs); ptr.extend(a); pte.extend(b); }
    ptr.sort_by(|p, q| (p.day.as_str(), p.meter.as_str()).cmp(&(q.day.as_str(), q.meter.as_str())));
    let ms = meters.clone();
    let (extra, cat): (Box<dyn Fn(&Row) -> Vec<f64>>, Option<HashSet<usize>>) = match tool {
        Tool::Perp { .. } => (Box::new(move |r: &Row| vec![ms.iter().position(|m| *m == r.meter).unwrap() as f64]),
                              if std::env::var("POOLED_NO_CAT").is_ok() { None } else { Some([25usize].into_iter().collect()) }),
        Tool::Forust | Tool::Hess | Tool::Vader { .. } => (Box::new(move |r: &Row| ms.iter().map(|m| if *m == r.meter { 1.0 } else { 0.0 }).collect()), None),
    };
    NAMES.with(|n| n.borrow_mut().extend(meters.iter().map(|m| format!("meter={m}"))));
    let (pf, pdt) = fit(&tool, &ptr, &*extra, cat, true);
    let (pb, pr, pc) = colmajor(&pte, &*extra);
    let pp = (pf.pred)(&pb, pr, pc);
    let pmae = pp.iter().zip(&pte).map(|(p, t)| (p - t.y).abs()).sum::<f64>() / pte.len() as f64;

    let json = format!("{{\"tool\":\"{cfg}\",\"overall_test_mae\":{mae},\"n_test\":{},\"train_s_median\":{median},\"train_s_total\":{total},\"pred_1row_us\":{},\"pred_1000rows_ms\":{},\"deterministic_refit\":{det},\"refit_json_identical\":{json_same},\"refit_max_abs_pred_diff\":{max_pred_diff},\"serde_roundtrip_identical\":{serde_ok},\"model_json_kb_last_meter\":{model_json_kb:.1},\"pooled\":{{\"n_train\":{},\"rounds\":{},\"train_s\":{pdt},\"test_mae\":{pmae}}},\"per_meter\":[{}],\"_sink\":{}}}",
        errs.len(), lat1 * 1e6, lat1000 * 1e3, ptr.len(), pf.rounds, per.join(","), sink.is_finite());
    std::fs::write(out, &json).unwrap();
    println!("{json}");
}
