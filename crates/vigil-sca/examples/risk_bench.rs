//! Times operational-risk enrichment of a 2,000-package npm lockfile from a
//! warm metadata cache (the target: under 100 ms): opening the
//! cache (reading and parsing its file), then looking up and scoring every
//! package. Timings are printed, never asserted (docs/BENCHMARKS.md).
//! `steady_ms` is the server's case: the cache stays open between scans
//! (`vigil_sca::engine::current_metadata`), so once a package was looked up
//! its line is parsed and a scan pays only lookup and scoring.
//!
//! The cache is written first, untimed, from the recorded packuments in
//! `tests/fixtures/registry/npm/` under 2,000 distinct names: left-pad,
//! lodash, request and node-uuid in turn, and every `EVERY`-th package
//! react (2,963 versions; `EVERY=100` by default, `EVERY=5` for the worst
//! case where a fifth of the lockfile has react's history). With `CACHE`
//! larger than `PACKAGES` the cache holds that many packages of the same
//! mix and the lockfile an evenly spread `PACKAGES` of them, as a server's
//! cache that has seen many repositories does.
//!
//! `cargo run --release -p vigil-sca --example risk_bench -- DIR [PACKAGES] [EVERY] [ROUNDS] [CACHE]`

#![allow(clippy::print_stdout)]

use std::path::Path;
use std::time::{Duration, Instant};

use vigil_sca::Ecosystem;
use vigil_sca::metadata_cache::MetadataCache;
use vigil_sca::registry::npm;
use vigil_sca::risk::{Risk, assess_of};

/// 2026-12-07T11:30:00Z.
const NOW: i64 = 1_796_643_000;
const TTL: i64 = 7 * 86_400;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir =
        Path::new(args.get(1).ok_or("usage: risk_bench DIR [PACKAGES] [EVERY] [ROUNDS] [CACHE]")?);
    let packages: usize = args.get(2).map_or(Ok(2000), |n| n.parse())?;
    let every: usize = args.get(3).map_or(Ok(100), |n| n.parse())?;
    let rounds: usize = args.get(4).map_or(Ok(20), |n| n.parse())?;
    let cached: usize = args.get(5).map_or(Ok(packages), |n| n.parse())?.max(packages);
    let spread = cached / packages.max(1);

    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/registry/npm");
    let read = |file: &str| -> Result<_, Box<dyn std::error::Error>> {
        Ok(npm::parse(&std::fs::read(fixtures.join(file))?, NOW)?)
    };
    let small = [
        read("left-pad.json")?,
        read("lodash.json")?,
        read("request.json")?,
        read("node-uuid.json")?,
    ];
    let react = read("react.trimmed.json")?;
    let mut cache = MetadataCache::open(dir);
    let mut lockfile: Vec<(String, String)> = Vec::with_capacity(packages);
    let mut versions = 0;
    // Each group (the lockfile's packages, the others) has the same mix.
    let mut positions = [0usize; 2];
    for index in 0..cached {
        let in_lockfile = index % spread == 0 && lockfile.len() < packages;
        let position = &mut positions[usize::from(in_lockfile)];
        let mut metadata = if every > 0 && *position % every == 0 {
            react.clone()
        } else {
            small[*position % small.len()].clone()
        };
        *position += 1;
        metadata.name = format!("{}-{index}", metadata.name);
        versions += metadata.versions.len();
        if in_lockfile {
            let in_use = metadata.latest.clone().unwrap_or_default();
            lockfile.push((metadata.name.clone(), in_use));
        }
        cache.insert(metadata);
    }
    cache.write()?;
    let file_bytes = std::fs::metadata(MetadataCache::file(dir, Ecosystem::Npm))?.len();

    let mut open = Vec::new();
    let mut score = Vec::new();
    let mut total = Vec::new();
    let mut levels = [0usize; 4];
    for _ in 0..rounds {
        let started = Instant::now();
        let cache = MetadataCache::open(dir);
        let opened = started.elapsed();
        levels = enrich(&cache, &lockfile);
        let done = started.elapsed();
        open.push(opened);
        score.push(done - opened);
        total.push(done);
    }
    // The server's case: one open cache, every line already parsed.
    let cache = MetadataCache::open(dir);
    enrich(&cache, &lockfile);
    let mut steady = Vec::new();
    for _ in 0..rounds {
        let started = Instant::now();
        enrich(&cache, &lockfile);
        steady.push(started.elapsed());
    }
    let median = |list: &mut Vec<Duration>| {
        list.sort();
        list[list.len() / 2].as_secs_f64() * 1000.0
    };
    println!(
        "packages={packages} cached={cached} versions={versions} cache_bytes={file_bytes} levels={levels:?} open_ms={:.1} lookup_score_ms={:.1} total_ms={:.1} steady_ms={:.1} rounds={rounds}",
        median(&mut open),
        median(&mut score),
        median(&mut total),
        median(&mut steady),
    );
    Ok(())
}

/// Looks up and scores every package of `lockfile`: how many at each
/// level (Low, Medium, High, unknown).
fn enrich(cache: &MetadataCache, lockfile: &[(String, String)]) -> [usize; 4] {
    let mut levels = [0usize; 4];
    for (name, version) in lockfile {
        // As `risk::assess_graph` does for a scan.
        let slot = match cache.brief(Ecosystem::Npm, name, version, NOW, TTL) {
            Some(brief) => {
                match assess_of(brief.package, brief.releases, brief.in_use.as_ref(), NOW) {
                    Risk::Assessed(assessment) => assessment.level as usize,
                    Risk::Unknown { .. } => 3,
                }
            }
            None => 3,
        };
        levels[slot] += 1;
    }
    levels
}
