//! The dashboard: open issues by kind and severity, the 30-day trend of
//! new and fixed issues, the repositories with the most open issues, and
//! the mean time to resolve; charts drawn by `svg` on the server.

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
    open: String,
    severe: String,
    fixed_30d: String,
    mttr: String,
    by_kind_chart: String,
    trend_chart: String,
    top: Vec<(i64, String, i64, i64)>,
    severities: &'static [&'static str],
    has_instances: bool,
}

async fn page(signed: Anyone, State(state): State<AppState>) -> PageResult {
    let now = Queue::now_ms();
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
    let trend = state.store.issue_trend(30, now).await?;
    let points: Vec<(String, i64, i64)> = trend
        .iter()
        .map(|day| {
            let label = format::when(day.day).get(5..10).unwrap_or_default().to_owned();
            (label, day.new, day.fixed)
        })
        .collect();
    let resolution = state.store.resolution(now - 30 * 86_400_000).await?;
    let page = Dashboard {
        chrome: signed.chrome("dashboard"),
        open: format::count(total(&|_| true)),
        severe: format::count(total(&|cell| cell.1 == "critical" || cell.1 == "high")),
        fixed_30d: format::count(resolution.fixed),
        mttr: resolution.mean_ms.map_or_else(|| "—".to_owned(), mean_time),
        by_kind_chart: stacked_bars("Open issues by kind and severity", &bars),
        trend_chart: paired_columns(
            "New and fixed issues per day, last 30 days",
            &points,
            ("new", "fixed"),
        ),
        top: state.store.top_repositories(10).await?,
        severities: &SEVERITIES,
        has_instances: !state.store.instances().await?.is_empty(),
    };
    Ok(render(StatusCode::OK, &page))
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
