//! The git-history walk: every blob reachable from any ref, scanned once,
//! each finding attributed to the commit that first introduced it.
//!
//! Commits reachable from all refs (and HEAD) are visited oldest first by
//! commit time. Each commit's tree is traversed, skipping subtrees already
//! seen (an unchanged directory holds only blobs already recorded), so the
//! walk costs what changed, not commits × files. The first (commit, path) at
//! which a blob appears is its introduction. Blobs are then read and scanned
//! in parallel, once each. Findings with the same rule and content are
//! reported once, at their earliest introduction, and marked `deleted` when
//! no ref's tip tree still holds that content.
//!
//! Unreadable or corrupt objects become error diagnostics naming the object;
//! the walk continues with the rest.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use gix::ObjectId;
use gix::objs::tree::EntryKind;
use vigil_core::{
    Diagnostic, DiagnosticLevel, Engine, FileOutput, Finding, Introduction, ScanStats, SourceFile,
    assign_occurrences, sort_findings,
};

use crate::Scanner;
use crate::walk::{BINARY_SNIFF_BYTES, ScanOptions, ScanOutput, human_bytes};
use crate::{Progress, ScanError};

/// A commit that introduced at least one blob.
struct Commit {
    id: ObjectId,
    author: String,
    email: String,
    date: String,
}

/// A blob and where it first appeared.
struct Blob {
    id: ObjectId,
    /// Index into the commits, oldest first.
    commit: usize,
    path: String,
}

impl Scanner {
    /// Scans the history of the git repository containing `path`: every blob
    /// reachable from any ref, once (see the module docs).
    pub fn scan_history(&self, path: &Path, progress: &Progress) -> Result<ScanOutput, ScanError> {
        scan_history(path, &self.engines, &self.options, progress)
    }
}

fn scan_history(
    path: &Path,
    engines: &[Box<dyn Engine>],
    options: &ScanOptions,
    progress: &Progress,
) -> Result<ScanOutput, ScanError> {
    let repository = gix::discover(path).map_err(|error| ScanError::NotARepository {
        path: path.to_path_buf(),
        reason: error.to_string(),
    })?;
    let mut diagnostics = Vec::new();
    let tips = tips(&repository, &mut diagnostics);
    let (commits, blobs) = introductions(&repository, &tips, &mut diagnostics);
    let at_tips = blobs_at_tips(&repository, &tips, &mut diagnostics);

    let shared = repository.into_sync();
    let next = AtomicUsize::new(0);
    let skipped = AtomicU64::new(0);
    let results: Mutex<Vec<(usize, Finding)>> = Mutex::new(Vec::new());
    let present: Mutex<HashSet<(String, String)>> = Mutex::new(HashSet::new());
    let diagnostics = Mutex::new(diagnostics);
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(2, usize::from),
        threads => threads,
    };
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let repository = shared.to_thread_local();
                let mut output = FileOutput::default();
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(blob) = blobs.get(index) else { break };
                    let object = match repository.find_object(blob.id) {
                        Ok(object) => object,
                        Err(error) => {
                            let message = format!(
                                "cannot read blob {} in commit {}: {error}",
                                blob.id, commits[blob.commit].id
                            );
                            lock(&diagnostics).push(Diagnostic::for_file(
                                DiagnosticLevel::Error,
                                &blob.path,
                                message,
                            ));
                            continue;
                        }
                    };
                    let content = &object.data;
                    if content.len() as u64 > options.max_file_size {
                        skipped.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    if memchr::memchr(0, &content[..content.len().min(BINARY_SNIFF_BYTES)])
                        .is_some()
                    {
                        skipped.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    for engine in engines.iter().filter(|engine| engine.wants(&blob.path)) {
                        engine.scan_file(SourceFile { path: &blob.path, content }, &mut output);
                    }
                    progress.files.fetch_add(1, Ordering::Relaxed);
                    progress.bytes.fetch_add(content.len() as u64, Ordering::Relaxed);
                    output
                        .findings
                        .retain(|finding| !options.disabled_rules.contains(&finding.rule_id));
                    if at_tips.contains(&blob.id) {
                        let mut present = lock(&present);
                        for finding in &output.findings {
                            present
                                .insert((finding.rule_id.clone(), finding.content_digest.clone()));
                        }
                    }
                    if !output.findings.is_empty() {
                        lock(&results).extend(
                            output.findings.drain(..).map(|finding| (blob.commit, finding)),
                        );
                    }
                    lock(&diagnostics).append(&mut output.diagnostics);
                }
            });
        }
    });

    let present = present.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    // Keep each (rule, content) once, at its earliest introduction.
    let mut earliest: HashMap<(String, String), (usize, Finding)> = HashMap::new();
    for (commit, finding) in results.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner()) {
        let key = (finding.rule_id.clone(), finding.content_digest.clone());
        let replace = earliest.get(&key).is_none_or(|(kept, kept_finding)| {
            (commit, &finding.location.path, finding.location.start_line)
                < (*kept, &kept_finding.location.path, kept_finding.location.start_line)
        });
        if replace {
            earliest.insert(key, (commit, finding));
        }
    }
    let mut findings: Vec<Finding> = earliest
        .into_iter()
        .map(|(key, (commit, mut finding))| {
            let commit = &commits[commit];
            finding.introduced = Some(Introduction {
                commit: commit.id.to_string(),
                author: commit.author.clone(),
                email: commit.email.clone(),
                date: commit.date.clone(),
                deleted: !present.contains(&key),
            });
            finding
        })
        .collect();
    sort_findings(&mut findings);
    assign_occurrences(&mut findings);
    let mut diagnostics = diagnostics.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    diagnostics
        .sort_by(|left, right| (&left.path, &left.message).cmp(&(&right.path, &right.message)));
    let skipped = skipped.load(Ordering::Relaxed);
    if skipped > 0 {
        diagnostics.push(Diagnostic::general(
            DiagnosticLevel::Note,
            format!(
                "skipped {skipped} binary blobs or blobs over {}",
                human_bytes(options.max_file_size)
            ),
        ));
    }
    Ok(ScanOutput {
        findings,
        diagnostics,
        artifacts: Vec::new(),
        stats: ScanStats {
            files_scanned: progress.files.load(Ordering::Relaxed),
            bytes_scanned: progress.bytes.load(Ordering::Relaxed),
            files_skipped: skipped,
            baselined: 0,
            ignored: 0,
            rule_skipped: 0,
        },
    })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The commits that refs (and HEAD) point at, peeling tags. Refs that peel
/// to a tree or blob hold no history to walk and are left out.
fn tips(repository: &gix::Repository, diagnostics: &mut Vec<Diagnostic>) -> Vec<ObjectId> {
    let mut tips = Vec::new();
    let mut error = |message: String| diagnostics.push(Diagnostic::error(message));
    let platform = match repository.references() {
        Ok(platform) => platform,
        Err(cause) => {
            error(format!("cannot list refs: {cause}"));
            return tips;
        }
    };
    match platform.all() {
        Ok(references) => {
            for reference in references {
                let mut reference = match reference {
                    Ok(reference) => reference,
                    Err(cause) => {
                        error(format!("cannot read a ref: {cause}"));
                        continue;
                    }
                };
                let name = reference.name().as_bstr().to_string();
                match reference.peel_to_id() {
                    Ok(id) => match id.object() {
                        Ok(object) if object.kind == gix::object::Kind::Commit => {
                            tips.push(id.detach())
                        }
                        Ok(_) => {}
                        Err(cause) => {
                            error(format!("cannot read the object of ref {name}: {cause}"))
                        }
                    },
                    Err(cause) => error(format!("cannot resolve ref {name}: {cause}")),
                }
            }
        }
        Err(cause) => error(format!("cannot list refs: {cause}")),
    }
    if let Ok(head) = repository.head_id() {
        tips.push(head.detach());
    }
    tips.sort();
    tips.dedup();
    tips
}

/// Every commit reachable from `tips`, oldest first, and every blob with its
/// first (commit, path).
fn introductions(
    repository: &gix::Repository,
    tips: &[ObjectId],
    diagnostics: &mut Vec<Diagnostic>,
) -> (Vec<Commit>, Vec<Blob>) {
    let mut order: Vec<(i64, ObjectId)> = Vec::new();
    match repository.rev_walk(tips.iter().copied()).all() {
        Ok(walk) => {
            for info in walk {
                match info {
                    Ok(info) => order.push((info.commit_time.unwrap_or_default(), info.id)),
                    Err(error) => diagnostics
                        .push(Diagnostic::error(format!("history walk stopped early: {error}"))),
                }
            }
        }
        Err(error) => diagnostics.push(Diagnostic::error(format!("cannot walk history: {error}"))),
    }
    order.sort();
    let mut seen_trees: HashSet<ObjectId> = HashSet::new();
    let mut seen_blobs: HashSet<ObjectId> = HashSet::new();
    let mut commits = Vec::new();
    let mut blobs = Vec::new();
    for (_, id) in order {
        let commit = match repository.find_commit(id) {
            Ok(commit) => commit,
            Err(error) => {
                diagnostics.push(Diagnostic::error(format!("cannot read commit {id}: {error}")));
                continue;
            }
        };
        let (author, email, date) = match commit.author() {
            Ok(signature) => {
                let seconds = signature.time().map(|time| time.seconds).unwrap_or_default();
                let date = jiff::Timestamp::from_second(seconds)
                    .map(|t| t.to_string())
                    .unwrap_or_default();
                (signature.name.to_string(), signature.email.to_string(), date)
            }
            Err(_) => (String::new(), String::new(), String::new()),
        };
        let Ok(tree) = commit.tree_id() else {
            diagnostics.push(Diagnostic::error(format!("commit {id} has no readable tree")));
            continue;
        };
        let commit_index = commits.len();
        let before = blobs.len();
        let mut stack = vec![(tree.detach(), String::new())];
        while let Some((tree_id, prefix)) = stack.pop() {
            if !seen_trees.insert(tree_id) {
                continue;
            }
            let entries = match tree_entries(repository, tree_id) {
                Ok(entries) => entries,
                Err(error) => {
                    let message = format!("{error} (commit {id})");
                    diagnostics.push(Diagnostic::for_file(DiagnosticLevel::Error, prefix, message));
                    continue;
                }
            };
            for (kind, name, oid) in entries {
                let path = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
                match kind {
                    EntryKind::Tree => stack.push((oid, path)),
                    EntryKind::Blob | EntryKind::BlobExecutable => {
                        if seen_blobs.insert(oid) {
                            blobs.push(Blob { id: oid, commit: commit_index, path });
                        }
                    }
                    EntryKind::Link | EntryKind::Commit => {}
                }
            }
        }
        if blobs.len() > before {
            commits.push(Commit { id, author, email, date });
        }
    }
    (commits, blobs)
}

/// Blob ids in the trees at the tips: content still present somewhere.
fn blobs_at_tips(
    repository: &gix::Repository,
    tips: &[ObjectId],
    diagnostics: &mut Vec<Diagnostic>,
) -> HashSet<ObjectId> {
    let mut seen_trees = HashSet::new();
    let mut blobs = HashSet::new();
    for tip in tips {
        let Ok(tree) = repository
            .find_commit(*tip)
            .and_then(|commit| Ok(commit.tree_id()?.detach()))
            .map_err(|error| {
                diagnostics.push(Diagnostic::error(format!("cannot read tip {tip}: {error}")));
            })
        else {
            continue;
        };
        let mut stack = vec![tree];
        while let Some(tree_id) = stack.pop() {
            if !seen_trees.insert(tree_id) {
                continue;
            }
            // Errors were reported by the introductions walk over the same trees.
            let Ok(entries) = tree_entries(repository, tree_id) else { continue };
            for (kind, _, oid) in entries {
                match kind {
                    EntryKind::Tree => stack.push(oid),
                    EntryKind::Blob | EntryKind::BlobExecutable => {
                        blobs.insert(oid);
                    }
                    EntryKind::Link | EntryKind::Commit => {}
                }
            }
        }
    }
    blobs
}

/// The entries of a tree: kind, file name, object id.
fn tree_entries(
    repository: &gix::Repository,
    tree_id: ObjectId,
) -> Result<Vec<(EntryKind, String, ObjectId)>, String> {
    let tree = repository
        .find_tree(tree_id)
        .map_err(|error| format!("cannot read tree {tree_id}: {error}"))?;
    let decoded = tree.decode().map_err(|error| format!("corrupt tree {tree_id}: {error}"))?;
    Ok(decoded
        .entries
        .iter()
        .map(|entry| (entry.mode.kind(), entry.filename.to_string(), entry.oid.to_owned()))
        .collect())
}
