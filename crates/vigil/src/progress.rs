//! The progress indicator on standard error: it appears only for scans that
//! run longer than a second, only on a terminal, and never with --quiet.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use vigil_scanner::{Progress, human_bytes};

/// How long a scan runs before the indicator appears.
const SHOW_AFTER: Duration = Duration::from_secs(1);
const TICK: Duration = Duration::from_millis(100);

/// Whether an indicator may be drawn at all.
pub(crate) fn wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// Draws the indicator until `done` is set; meant for a scoped thread.
pub(crate) fn run(progress: &Progress, done: &AtomicBool) {
    let started = Instant::now();
    while started.elapsed() < SHOW_AFTER {
        if done.load(Ordering::Relaxed) {
            return;
        }
        std::thread::sleep(TICK);
    }
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    while !done.load(Ordering::Relaxed) {
        let files = progress.files.load(Ordering::Relaxed);
        let bytes = progress.bytes.load(Ordering::Relaxed);
        let seconds = started.elapsed().as_secs_f64().max(0.001);
        spinner.set_message(format!(
            "scanning: {files} files, {} ({}/s)",
            human_bytes(bytes),
            human_bytes((bytes as f64 / seconds) as u64)
        ));
        spinner.tick();
        std::thread::sleep(TICK);
    }
    spinner.finish_and_clear();
}
