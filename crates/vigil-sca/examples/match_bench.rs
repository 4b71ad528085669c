//! Times the parts of a dependency scan separately, for `bench/sca.sh`:
//! opening the advisory store, parsing a lockfile, and matching its graph
//! (the figure the issue sets: under 50 ms for 5,000 packages against
//! 100,000 advisories once the store is open). The store reads a package's
//! advisory ranges the first time that package is matched, so the first
//! round (`first_match_ms`) includes that work and the median does not.
//!
//! `cargo run --release -p vigil-sca --example match_bench -- DATA_DIR LOCKFILE [ROUNDS]`

#![allow(clippy::print_stdout)]

use std::time::Instant;

use vigil_sca::graph::Graph;
use vigil_sca::lockfile::{Input, format_for};
use vigil_sca::matcher::match_graph;
use vigil_sca::store::Store;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(data_dir), Some(lockfile)) = (args.get(1), args.get(2)) else {
        return Err("usage: match_bench DATA_DIR LOCKFILE [ROUNDS]".into());
    };
    let rounds: usize = args.get(3).map_or(Ok(20), |r| r.parse())?;
    let started = Instant::now();
    let store = Store::open(std::path::Path::new(data_dir))?;
    let open = started.elapsed();
    let text = std::fs::read_to_string(lockfile)?;
    let format = format_for(lockfile).ok_or("not a lockfile Vigil reads")?;
    let mut parse = Vec::new();
    let mut matching = Vec::new();
    let mut found = 0;
    let mut packages = 0;
    for _ in 0..rounds {
        let started = Instant::now();
        let parsed = (format.parse)(Input { path: lockfile, text: &text }, None)?;
        let graph = Graph::build(lockfile, format.ecosystem, parsed);
        parse.push(started.elapsed());
        let started = Instant::now();
        let (matches, _) = match_graph(&store, &graph);
        matching.push(started.elapsed());
        found = matches.len();
        packages = graph.nodes.len();
    }
    let first = matching.first().copied().unwrap_or_default();
    parse.sort();
    matching.sort();
    let median = |list: &[std::time::Duration]| list[list.len() / 2].as_secs_f64() * 1000.0;
    println!(
        "advisories={} open_ms={:.0} packages={packages} matches={found} parse_ms={:.2} match_ms={:.2} first_match_ms={:.2} rounds={rounds}",
        store.advisories().len(),
        open.as_secs_f64() * 1000.0,
        median(&parse),
        median(&matching),
        first.as_secs_f64() * 1000.0
    );
    Ok(())
}
