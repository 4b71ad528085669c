//! Recall and precision on the labelled secrets corpus in
//! ../shared/corpus/secrets, scored by the corpus's own `score_sarif.py`.

use std::process::Command;

use crate::harness::{Project, binary, run, shared};

#[test]
fn labelled_corpus_recall_and_precision() {
    let corpus = shared().join("corpus/secrets");
    let project = Project::new();
    let sarif = project.path("report.sarif");
    let scan = run(Command::new(binary())
        .args(["scan", "--format", "sarif", "-q", "--output"])
        .arg(&sarif)
        .arg(corpus.join("tree")));
    assert_eq!(scan.code, 1, "{scan:?}");
    let score = run(Command::new("python3")
        .arg(corpus.join("score_sarif.py"))
        .arg(corpus.join("labels.json"))
        .arg(&sarif)
        .arg(corpus.join("tree")));
    assert_eq!(score.code, 0, "{score:?}");
    println!("{}", score.stdout);
    let last = score.stdout.lines().last().unwrap_or_default();
    let value = |key: &str| -> f64 {
        last.split_whitespace()
            .find_map(|pair| pair.strip_prefix(&format!("{key}=")))
            .unwrap()
            .parse()
            .unwrap()
    };
    // Targets: recall at least betterleaks's 0.96, precision at least gitleaks's 1.00.
    assert!(value("recall") >= 0.96, "{}", score.stdout);
    assert!(value("precision") >= 1.0, "{}", score.stdout);
}
