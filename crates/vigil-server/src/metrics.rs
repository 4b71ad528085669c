//! Process-local counters and histograms exported at `/metrics` in the
//! Prometheus text format, beside gauges read from the database at scrape
//! time (jobs by state, scans by status). Hand-written: a few atomics do
//! not need a metrics framework.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the job-duration histogram, seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 120.0, 600.0];

/// The process's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Jobs finished by this process, by kind and outcome.
    jobs: Mutex<Vec<(String, &'static str, u64)>>,
    /// Job run time histogram: counts per bucket, then +Inf.
    job_buckets: [AtomicU64; BUCKETS.len() + 1],
    job_seconds_micros: AtomicU64,
    /// Claim latency (enqueue → claim) histogram.
    wait_buckets: [AtomicU64; BUCKETS.len() + 1],
    wait_seconds_micros: AtomicU64,
    /// Durations of successful claim statements, µs (the first million).
    claims: Mutex<Vec<u32>>,
    /// Webhook deliveries received, by outcome.
    pub webhooks_accepted: AtomicU64,
    /// Webhook deliveries refused (bad token, too large, malformed).
    pub webhooks_refused: AtomicU64,
    /// Webhook deliveries that were duplicates.
    pub webhooks_duplicate: AtomicU64,
}

fn observe(buckets: &[AtomicU64; BUCKETS.len() + 1], sum: &AtomicU64, seconds: f64) {
    let index = BUCKETS.iter().position(|bound| seconds <= *bound).unwrap_or(BUCKETS.len());
    buckets[index].fetch_add(1, Ordering::Relaxed);
    sum.fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
}

fn write_histogram(
    out: &mut String,
    name: &str,
    help: &str,
    buckets: &[AtomicU64; BUCKETS.len() + 1],
    sum: &AtomicU64,
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
    let mut cumulative = 0;
    for (bound, count) in BUCKETS.iter().zip(buckets.iter()) {
        cumulative += count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
    }
    cumulative += buckets[BUCKETS.len()].load(Ordering::Relaxed);
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
    let _ = writeln!(out, "{name}_sum {}", sum.load(Ordering::Relaxed) as f64 / 1e6);
    let _ = writeln!(out, "{name}_count {cumulative}");
}

impl Metrics {
    /// Records a finished job.
    pub fn job_finished(
        &self,
        kind: &str,
        outcome: &'static str,
        run_seconds: f64,
        wait_seconds: f64,
    ) {
        observe(&self.job_buckets, &self.job_seconds_micros, run_seconds);
        observe(&self.wait_buckets, &self.wait_seconds_micros, wait_seconds.max(0.0));
        let Ok(mut jobs) = self.jobs.lock() else { return };
        match jobs.iter_mut().find(|(k, o, _)| k == kind && *o == outcome) {
            Some(entry) => entry.2 += 1,
            None => jobs.push((kind.to_owned(), outcome, 1)),
        }
    }

    /// Records how long a successful claim took.
    pub fn claim_took(&self, elapsed: std::time::Duration) {
        let Ok(mut claims) = self.claims.lock() else { return };
        if claims.len() < 1_000_000 {
            claims.push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX));
        }
    }

    /// Claim latency percentiles in ms (`p50`, `p99`) and the number of
    /// claims measured, for the worker's summary at shutdown.
    pub fn claim_summary(&self) -> Option<(f64, f64, usize)> {
        let mut claims = self.claims.lock().ok()?.clone();
        if claims.is_empty() {
            return None;
        }
        claims.sort_unstable();
        let at = |quantile: f64| {
            f64::from(claims[((claims.len() - 1) as f64 * quantile) as usize]) / 1000.0
        };
        Some((at(0.5), at(0.99), claims.len()))
    }

    /// The process-local part of the exposition.
    pub fn render(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP vigil_jobs_processed_total Jobs finished by this process.\n# TYPE vigil_jobs_processed_total counter"
        );
        if let Ok(jobs) = self.jobs.lock() {
            for (kind, outcome, count) in jobs.iter() {
                let _ = writeln!(
                    out,
                    "vigil_jobs_processed_total{{kind=\"{kind}\",outcome=\"{outcome}\"}} {count}"
                );
            }
        }
        write_histogram(
            out,
            "vigil_job_run_seconds",
            "Time a job ran.",
            &self.job_buckets,
            &self.job_seconds_micros,
        );
        write_histogram(
            out,
            "vigil_job_wait_seconds",
            "Time from a job becoming runnable to its claim.",
            &self.wait_buckets,
            &self.wait_seconds_micros,
        );
        let _ = writeln!(
            out,
            "# HELP vigil_webhooks_total Webhook deliveries received.\n# TYPE vigil_webhooks_total counter"
        );
        for (outcome, counter) in [
            ("accepted", &self.webhooks_accepted),
            ("duplicate", &self.webhooks_duplicate),
            ("refused", &self.webhooks_refused),
        ] {
            let _ = writeln!(
                out,
                "vigil_webhooks_total{{outcome=\"{outcome}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
    }
}
