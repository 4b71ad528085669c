//! The dashboard: open issues by kind and severity, open license issues by
//! license category (when there are any), the 30-day trend of
//! new and fixed issues, the repositories with the most open issues, and
//! the mean time to resolve; charts drawn by `svg` on the server. Slow
//! aggregates (large databases) are reused for 30 s, and the page says so.

use std::sync::{Arc, Mutex};

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use vigil_store::Queue;

use super::repositories::{KINDS, SEVERITIES};
use super::svg::{Bar, paired_columns, stacked_bars};
use super::{Anyone, Chrome, PageResult, format, render};
use crate::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/", get(page))
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    figures: Arc<Figures>,
    severities: &'static [&'static str],
}

/// What the dashboard shows, and when it was computed.
pub(crate) struct Figures {
    open: String,
    severe: String,
    fixed_30d: String,
    mttr: String,
    by_kind_chart: String,
    /// Empty when no license issue is open.
    license_chart: String,
    trend_chart: String,
    top: Vec<(i64, String, i64, i64)>,
    has_instances: bool,
    computed_at: i64,
    /// Reused for a while (the page says since when).
    cached: bool,
}

/// Aggregates that took at least this long to compute are reused for
/// [`REUSE_MS`]: with a million issues they take most of a second, and a
/// dashboard a few seconds old is still right. Quick ones are always fresh.
const SLOW_MS: i64 = 200;
const REUSE_MS: i64 = 30_000;

/// The last figures of one server (kept in its [`AppState`]).
#[derive(Default)]
pub(crate) struct DashboardCache(Mutex<Option<Arc<Figures>>>);

impl std::fmt::Debug for DashboardCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DashboardCache")
    }
}

async fn page(signed: Anyone, State(state): State<AppState>) -> PageResult {
    let now = Queue::now_ms();
    let cached = state
        .dashboard
        .0
        .lock()
        .ok()
        .and_then(|cache| cache.clone())
        .filter(|figures| figures.cached && now - figures.computed_at < REUSE_MS);
    let figures = match cached {
        Some(figures) => figures,
        None => {
            let mut figures = compute(&state, now).await?;
            figures.cached = Queue::now_ms() - now >= SLOW_MS;
            let figures = Arc::new(figures);
            if let Ok(mut cache) = state.dashboard.0.lock() {
                *cache = Some(Arc::clone(&figures));
            }
            figures
        }
    };
    let page = Dashboard { chrome: signed.chrome("dashboard"), figures, severities: &SEVERITIES };
    Ok(render(StatusCode::OK, &page))
}

async fn compute(state: &AppState, now: i64) -> PageResult<Figures> {
    let counts = state.store.open_counts().await?;
    let total = |pick: &dyn Fn(&(String, String, i64)) -> bool| -> i64 {
        counts.cells.iter().filter(|cell| pick(cell)).map(|cell| cell.2).sum()
    };
    let bars: Vec<Bar> = KINDS
        .iter()
        .map(|(kind, label)| Bar {
            label: (*label).to_owned(),
            segments: SEVERITIES
                .iter()
                .map(|severity| (*severity, total(&|cell| cell.0 == *kind && cell.1 == *severity)))
                .collect(),
        })
        .collect();
    let licenses = state.store.open_license_categories().await?;
    let license_chart = if licenses.is_empty() {
        String::new()
    } else {
        let bars: Vec<Bar> = super::issues::license_categories()
            .into_iter()
            .filter(|(category, _)| licenses.iter().any(|cell| cell.0 == *category))
            .map(|(category, label)| Bar {
                label,
                segments: SEVERITIES
                    .iter()
                    .map(|severity| {
                        let count = licenses
                            .iter()
                            .filter(|cell| cell.0 == category && cell.1 == *severity)
                            .map(|cell| cell.2)
                            .sum();
                        (*severity, count)
                    })
                    .collect(),
            })
            .collect();
        stacked_bars("Open license issues by license category and severity", &bars)
    };
    let trend = state.store.issue_trend(30, now).await?;
    let points: Vec<(String, i64, i64)> = trend
        .iter()
        .map(|day| {
            let label = format::when(day.day).get(5..10).unwrap_or_default().to_owned();
            (label, day.new, day.fixed)
        })
        .collect();
    let resolution = state.store.resolution(now - 30 * 86_400_000).await?;
    Ok(Figures {
        open: format::count(total(&|_| true)),
        severe: format::count(total(&|cell| cell.1 == "critical" || cell.1 == "high")),
        fixed_30d: format::count(resolution.fixed),
        mttr: resolution.mean_ms.map_or_else(|| "—".to_owned(), mean_time),
        by_kind_chart: stacked_bars("Open issues by kind and severity", &bars),
        license_chart,
        trend_chart: paired_columns(
            "New and fixed issues per day, last 30 days",
            &points,
            ("new", "fixed"),
        ),
        top: state.store.top_repositories(10).await?,
        has_instances: !state.store.instances().await?.is_empty(),
        computed_at: now,
        cached: false,
    })
}

impl Figures {
    fn as_of(&self) -> String {
        format::when(self.computed_at)
    }
}

/// A mean time to resolve in days and hours, or hours and minutes.
fn mean_time(ms: i64) -> String {
    let hours = ms / 3_600_000;
    if hours >= 24 {
        format!("{} d {} h", hours / 24, hours % 24)
    } else {
        format!("{hours} h {} min", (ms / 60_000) % 60)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn mean_time_reads_in_days_or_hours() {
        assert_eq!(super::mean_time(90 * 3_600_000), "3 d 18 h");
        assert_eq!(super::mean_time(5_400_000), "1 h 30 min");
    }
}
