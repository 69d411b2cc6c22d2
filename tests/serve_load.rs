//! A bounded load test of the pages on loopback: 200 page loads of *Now* (the page buyers
//! keep open) from 20 concurrent clients, each logged in with its own session. Every load
//! must answer 200 with the alert table; the latencies' median, 95th percentile and maximum
//! are printed (`cargo test --test serve_load -- --nocapture`; benches/README.md
//! records them). Timings are reported, not asserted: machines differ.

mod support;

use std::time::{Duration, Instant};

use support::web::{login, request, serviced_site, start_pages};
use vader::serve::users::{Role, Users};

const CLIENTS: usize = 20;
const LOADS: usize = 200;

#[test]
fn two_hundred_page_loads_from_twenty_clients() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = serviced_site(dir.path());
    let mut users = Users::load(&Users::path_in(&dir.path().join("home"))).expect("users");
    for i in 0..CLIENTS {
        users
            .add(&format!("buyer{i}"), Role::Buyer, "a long enough password", chrono::Utc::now())
            .expect("add");
    }
    let addr = start_pages(&config);
    let sessions: Vec<String> =
        (0..CLIENTS).map(|i| login(addr, &format!("buyer{i}"), "a long enough password")).collect();

    let started = Instant::now();
    let handles: Vec<_> = sessions
        .into_iter()
        .map(|cookie| {
            std::thread::spawn(move || {
                (0..LOADS / CLIENTS)
                    .map(|_| {
                        let t = Instant::now();
                        let reply = request(addr, "GET", "/now", &cookie, None);
                        assert_eq!(reply.status, 200);
                        assert!(reply.text().contains("L18442"));
                        t.elapsed()
                    })
                    .collect::<Vec<Duration>>()
            })
        })
        .collect();
    let mut latencies: Vec<Duration> =
        handles.into_iter().flat_map(|h| h.join().expect("a client")).collect();
    let wall = started.elapsed();
    assert_eq!(latencies.len(), LOADS);
    latencies.sort();
    let at = |q: f64| latencies[((q * LOADS as f64).ceil() as usize).clamp(1, LOADS) - 1];
    println!(
        "{LOADS} loads of /now from {CLIENTS} clients in {:.2} s: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms ({:.0} pages/s)",
        wall.as_secs_f64(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3,
        LOADS as f64 / wall.as_secs_f64()
    );
}
