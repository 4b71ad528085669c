//! Merge requests, from webhook to feedback. A `Merge Request Hook` queues
//! an `mr_scan` job (opened or reopened: every file the MR touches; updated
//! with new commits: the files those commits changed, from the compare API);
//! closing or merging cancels the MR's pending scan. The job downloads the
//! touched files at the MR's head, scans them, reconciles the findings into
//! the issues of the source branch, then writes back to GitLab:
//!
//! - one summary note, edited in place on every later scan (its id is kept
//!   in the `merge_requests` table; a marker finds it if that row is lost),
//! - one inline discussion per finding on a line the MR adds (positioned
//!   with the version's base/start/head SHAs; a marker keeps it to one),
//! - a commit status `vigil` on the head: `failed` when an open issue in the
//!   MR's files reaches the policy threshold, else `success`.
//!
//! Jobs of one MR share a de-duplication key, so a burst of pushes is one
//! scan; a lease serialises the feedback of concurrent scans of one MR.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use vigil_core::{Diagnostic, FindingKind, Policy};
use vigil_gitlab::{Client, CommitStatus, DiffRefs, FileDiff, Position, StatusState};
use vigil_store::{
    Claimed, Issue, IssueFilter, IssueSort, NewScan, Queue, Repository, ScanScope, Store,
    StoreError,
};

use crate::payloads::{self, JobError, MergeRequestScanJob};
use crate::scanning::{Trigger, scan_and_record};

/// The commit status name Vigil posts; make it required in GitLab to block merges.
pub const STATUS_NAME: &str = "vigil";
/// Marks Vigil's summary note.
const SUMMARY_MARKER: &str = "<!-- vigil:summary -->";
/// Rows of the summary table; the rest are counted.
const SUMMARY_ROWS: usize = 50;

fn store_error(error: StoreError) -> String {
    error.to_string()
}

fn dedup_key(repository_id: i64, iid: i64) -> String {
    format!("mr:{repository_id}:{iid}")
}

/// Acts on a stored `Merge Request Hook` of instance `instance_id`.
pub async fn on_event(store: &Store, instance_id: i64, payload: &Value) -> Result<(), String> {
    let attributes = payload.get("object_attributes").unwrap_or(&Value::Null);
    let project_id = attributes
        .get("target_project_id")
        .or_else(|| payload.pointer("/project/id"))
        .and_then(Value::as_i64);
    let (Some(project_id), Some(iid)) = (project_id, attributes.get("iid").and_then(Value::as_i64))
    else {
        return Ok(());
    };
    let Some(repository) = store
        .repository_by_project(instance_id, project_id)
        .await
        .map_err(store_error)?
        .filter(|repository| repository.selected)
    else {
        return Ok(());
    };
    let text = |key: &str| attributes.get(key).and_then(Value::as_str).unwrap_or_default();
    let merge_request = vigil_store::MergeRequest {
        repository_id: repository.id,
        iid,
        title: text("title").to_owned(),
        source_branch: text("source_branch").to_owned(),
        target_branch: text("target_branch").to_owned(),
        state: text("state").to_owned(),
        head_sha: None,
        note_id: None,
        status: None,
        open_issues: 0,
        updated_at: Queue::now_ms(),
    };
    store.upsert_merge_request(&merge_request).await.map_err(store_error)?;
    match text("action") {
        "open" | "reopen" => enqueue(store, &repository, &merge_request, None).await,
        // Only an update that brought commits changes files; a new title
        // or label does not.
        "update" => match attributes.get("oldrev").and_then(Value::as_str) {
            Some(oldrev) => enqueue(store, &repository, &merge_request, Some(oldrev)).await,
            None => Ok(()),
        },
        "close" | "merge" => {
            for job in store
                .queue()
                .cancel_queued(&dedup_key(repository.id, iid))
                .await
                .map_err(store_error)?
            {
                if let Some(scan) = store.scan_by_job(job).await.map_err(store_error)? {
                    store.delete_scan(scan.id).await.map_err(store_error)?;
                }
                tracing::info!(repository = %repository.path, iid, job, "pending merge request scan cancelled");
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Queues a scan of merge request `!iid`: of every file it touches, or of
/// the files changed since `oldrev`. While one is queued, later requests
/// join it (it reads the MR's head when it runs).
pub async fn enqueue(
    store: &Store,
    repository: &Repository,
    merge_request: &vigil_store::MergeRequest,
    oldrev: Option<&str>,
) -> Result<(), String> {
    let now = Queue::now_ms();
    let scan = store
        .create_scan(
            &NewScan {
                repository_id: repository.id,
                branch: merge_request.source_branch.clone(),
                commit_sha: None,
                trigger: Trigger::MergeRequest.as_str().to_owned(),
                scope: ScanScope::Paths(Vec::new()),
            },
            now,
        )
        .await
        .map_err(store_error)?;
    let job = payloads::job(&MergeRequestScanJob {
        scan_id: scan.id,
        iid: merge_request.iid,
        oldrev: oldrev.map(str::to_owned),
    })
    .dedup_key(dedup_key(repository.id, merge_request.iid))
    .priority(Trigger::MergeRequest.priority());
    let enqueued = store.queue().enqueue(&job, now).await.map_err(store_error)?;
    if enqueued.deduplicated {
        store.delete_scan(scan.id).await.map_err(store_error)?;
    } else {
        store.set_scan_job(scan.id, enqueued.id).await.map_err(store_error)?;
    }
    Ok(())
}

/// Runs an `mr_scan` job. While another scan of the same MR writes its
/// feedback, this one waits (queued again, its attempt not counted).
pub async fn run(
    store: &Store,
    public_url: Option<&str>,
    job: &Claimed,
    payload: MergeRequestScanJob,
) -> Result<(), JobError> {
    let MergeRequestScanJob { scan_id, iid, oldrev } = payload;
    let Some(scan) = store.scan(scan_id).await.map_err(store_error)? else { return Ok(()) };
    let Some(repository) = store.repository(scan.repository_id).await.map_err(store_error)? else {
        return Ok(());
    };
    let lease = dedup_key(repository.id, iid);
    let holder = format!("job:{}", job.id);
    if !store
        .acquire_lease(&lease, &holder, 10 * 60_000, Queue::now_ms())
        .await
        .map_err(store_error)?
    {
        return Err(JobError::Wait {
            reason:
                "another scan of this merge request is writing its feedback; this one runs after it"
                    .into(),
            after_ms: 1_000,
        });
    }
    store.start_scan(scan_id, Queue::now_ms()).await.map_err(store_error)?;
    let result = scan_and_report(store, public_url, &repository, scan_id, iid, oldrev).await;
    store.release_lease(&lease, &holder).await.map_err(store_error)?;
    if let Err(error) = &result {
        let message = format!("attempt {}: {error}", job.attempt);
        store.fail_scan(scan_id, &message, Queue::now_ms()).await.map_err(store_error)?;
    }
    Ok(result?)
}

fn to_u64(iid: i64) -> Result<u64, String> {
    u64::try_from(iid).map_err(|_| format!("merge request iid {iid} out of range"))
}

async fn scan_and_report(
    store: &Store,
    public_url: Option<&str>,
    repository: &Repository,
    scan_id: i64,
    iid: i64,
    oldrev: Option<String>,
) -> Result<(), String> {
    let client = crate::gitlab::repository_client(store, repository).await?;
    let project = crate::gitlab::project_id(repository)?;
    let gitlab = |error: vigil_gitlab::GitLabError| {
        format!("{} !{iid}: {}", repository.path, crate::gitlab::reason(&error))
    };
    let merge_request = client.merge_request(project, to_u64(iid)?).await.map_err(gitlab)?;
    if merge_request.state != "opened" {
        // Closed or merged meanwhile: nothing to report on.
        store.delete_scan(scan_id).await.map_err(store_error)?;
        return Ok(());
    }
    let diff_refs = merge_request.diff_refs.clone().ok_or_else(|| {
        format!("{} !{iid}: GitLab has not computed the diff yet; retrying", repository.path)
    })?;
    let mr_diffs = client.merge_request_diffs(project, to_u64(iid)?).await.map_err(gitlab)?;
    // What to scan: the files of the new commits, or all the MR touches.
    let scanned: Vec<FileDiff> = match &oldrev {
        Some(oldrev) => {
            client.compare(project, oldrev, &diff_refs.head_sha).await.map_err(gitlab)?.diffs
        }
        None => mr_diffs.clone(),
    };
    let mut scope_paths: BTreeSet<String> = BTreeSet::new();
    let mut fetch: Vec<String> = Vec::new();
    for diff in &scanned {
        scope_paths.insert(diff.new_path.clone());
        scope_paths.insert(diff.old_path.clone());
        if !diff.deleted_file {
            fetch.push(diff.new_path.clone());
        }
    }
    // The MR's own configuration decides, as `vigil scan` on its branch would.
    let source =
        crate::source::fetch_changed(&client, project, &diff_refs.head_sha, &fetch).await?;
    let scope = ScanScope::Paths(scope_paths.into_iter().collect());
    // A merge request's branch keeps no dependency graphs: they are
    // matched again after syncs only for the branches scanned in full.
    let scanned = scan_and_record(store, scan_id, &scope, source, false).await?;
    let files = scanned.files();

    // Feedback covers every file of the MR, not only this scan's.
    let mr_paths: BTreeSet<&str> = mr_diffs
        .iter()
        .filter(|diff| !diff.deleted_file)
        .map(|diff| diff.new_path.as_str())
        .collect();
    let issues: Vec<Issue> = open_issues(store, repository.id, &merge_request.source_branch)
        .await?
        .into_iter()
        .filter(|issue| mr_paths.contains(issue.path.as_str()))
        .collect();
    let failing = issues.iter().filter(|issue| fails(&scanned.policy, issue)).count();
    // Dependencies the MR brings in: their lockfile entry is a line it adds.
    let added = added_lines(&mr_diffs);
    let new_dependencies = NewDependencies::of(&issues, &added);

    discuss(&client, project, iid, &diff_refs, &added, &issues).await.map_err(gitlab)?;
    let link = public_url.map(|url| {
        format!(
            "{}/issues?repository={}&branch={}",
            url.trim_end_matches('/'),
            repository.id,
            merge_request.source_branch
        )
    });
    let body = summary(
        &issues,
        &new_dependencies,
        failing,
        files,
        &scanned.problems,
        &diff_refs.head_sha,
        link.as_deref(),
    );
    let known = store.merge_request(repository.id, iid).await.map_err(store_error)?;
    let note_id = write_summary(&client, project, iid, known.and_then(|row| row.note_id), &body)
        .await
        .map_err(gitlab)?;
    let state = if failing > 0 { StatusState::Failed } else { StatusState::Success };
    let description = match failing {
        0 if issues.is_empty() => "No issues found".to_owned(),
        0 => format!("{} issues below the policy threshold", issues.len()),
        1 => "1 issue fails the policy".to_owned(),
        count => format!("{count} issues fail the policy"),
    };
    client
        .set_commit_status(
            project,
            &diff_refs.head_sha,
            &CommitStatus {
                state,
                name: STATUS_NAME.to_owned(),
                description,
                target_url: link,
                ref_name: Some(merge_request.source_branch.clone()),
            },
        )
        .await
        .map_err(gitlab)?;
    let feedback = vigil_store::MergeRequest {
        repository_id: repository.id,
        iid,
        title: merge_request.title.clone(),
        source_branch: merge_request.source_branch.clone(),
        target_branch: merge_request.target_branch.clone(),
        state: merge_request.state.clone(),
        head_sha: Some(diff_refs.head_sha.clone()),
        note_id: Some(note_id),
        status: Some(if failing > 0 { "failed" } else { "success" }.to_owned()),
        open_issues: i64::try_from(issues.len()).unwrap_or(i64::MAX),
        updated_at: Queue::now_ms(),
    };
    store.set_merge_request_feedback(&feedback).await.map_err(store_error)?;
    tracing::info!(repository = %repository.path, iid, issues = issues.len(), failing, "merge request feedback written");
    Ok(())
}

/// Whether an open issue fails the MR under `policy` (the repository's
/// `[policy]` over the server's default), as it would fail `vigil scan`.
fn fails(policy: &Policy, issue: &Issue) -> bool {
    policy.fails_as(issue.kind, &issue.rule_id, issue.severity)
}

/// Every open issue of a repository's branch.
async fn open_issues(
    store: &Store,
    repository_id: i64,
    branch: &str,
) -> Result<Vec<Issue>, String> {
    let mut all = Vec::new();
    let mut filter = IssueFilter {
        status: Some("open".into()),
        repository_id: Some(repository_id),
        branch: Some(branch.to_owned()),
        sort: IssueSort::default(),
        limit: 500,
        ..IssueFilter::default()
    };
    loop {
        let page = store.issues(&filter).await.map_err(store_error)?;
        all.extend(page.issues);
        match page.next {
            Some(next) => filter.after = Some(next),
            None => return Ok(all),
        }
    }
}

/// The dependency issues whose lockfile entry is a line the MR adds, by
/// kind: the MR brings those packages in.
#[derive(Default)]
struct NewDependencies<'a> {
    vulnerable: Vec<&'a Issue>,
    licenses: Vec<&'a Issue>,
    risky: Vec<&'a Issue>,
}

impl<'a> NewDependencies<'a> {
    fn of(issues: &'a [Issue], added: &BTreeMap<&str, (&FileDiff, BTreeSet<u32>)>) -> Self {
        let mut new = NewDependencies::default();
        for issue in issues.iter().filter(|issue| issue.package.is_some()) {
            let line = u32::try_from(issue.start_line).unwrap_or(0);
            if !added.get(issue.path.as_str()).is_some_and(|(_, lines)| lines.contains(&line)) {
                continue;
            }
            match issue.kind {
                FindingKind::Vulnerability => new.vulnerable.push(issue),
                FindingKind::License => new.licenses.push(issue),
                FindingKind::OperationalRisk => new.risky.push(issue),
                _ => {}
            }
        }
        new
    }
}

/// The summary note's text.
fn summary(
    issues: &[Issue],
    new_dependencies: &NewDependencies<'_>,
    failing: usize,
    files: i64,
    problems: &[Diagnostic],
    head_sha: &str,
    link: Option<&str>,
) -> String {
    let short = head_sha.get(..8).unwrap_or(head_sha);
    let mut body = format!("{SUMMARY_MARKER}\n");
    if issues.is_empty() {
        body.push_str("### Vigil: no issues found\n\n");
    } else {
        let verdict = if failing > 0 { "fails the policy" } else { "passes the policy" };
        body.push_str(&format!(
            "### Vigil: {} in the files of this merge request ({verdict})\n\n",
            plural(issues.len(), "issue")
        ));
        body.push_str("| Severity | Kind | Finding | File | Line |\n|---|---|---|---|---|\n");
        let mut sorted: Vec<&Issue> = issues.iter().collect();
        sorted.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| (&a.path, a.start_line).cmp(&(&b.path, b.start_line)))
        });
        for issue in sorted.iter().take(SUMMARY_ROWS) {
            // An IaC finding names its resource: a file holds many.
            // A dependency finding says what to upgrade to.
            let resource = match (&issue.resource, &issue.package) {
                (Some(resource), _) => format!(" on `{}`", escape(&resource.address)),
                // A license or risk title says all; only advisories have fixes.
                (None, Some(_)) if issue.kind != FindingKind::Vulnerability => String::new(),
                (None, Some(package)) => match package.fixed_versions.first() {
                    Some(fixed) => format!(", fixed in {}", escape(fixed)),
                    None => ", no fixed version yet".to_owned(),
                },
                (None, None) => String::new(),
            };
            body.push_str(&format!(
                "| {} | {} | {} (`{}`){resource} | `{}` | {} |\n",
                issue.severity,
                issue.kind,
                escape(&issue.title),
                issue.rule_id,
                escape(&issue.path),
                issue.start_line
            ));
        }
        if issues.len() > SUMMARY_ROWS {
            body.push_str(&format!("\n…and {} more.\n", issues.len() - SUMMARY_ROWS));
        }
        body.push('\n');
    }
    let new_vulnerable = &new_dependencies.vulnerable;
    if !new_vulnerable.is_empty() {
        // One package can have several advisories: count packages, and
        // say how many advisories when that differs.
        let packages: BTreeSet<(&str, &str)> = new_vulnerable
            .iter()
            .filter_map(|issue| issue.package.as_ref())
            .map(|package| (package.name.as_str(), package.version.as_str()))
            .collect();
        let mut count = match packages.len() {
            1 => "a vulnerable dependency".to_owned(),
            count => format!("{count} vulnerable dependencies"),
        };
        if new_vulnerable.len() > packages.len() {
            count.push_str(&format!(" ({} advisories)", new_vulnerable.len()));
        }
        body.push_str(&format!("**This merge request adds {count}:**\n\n"));
        for issue in new_vulnerable.iter().take(SUMMARY_ROWS) {
            body.push_str(&format!("- {}\n", escape(&dependency_facts(issue))));
        }
        body.push('\n');
    }
    let sections = [
        (
            &new_dependencies.licenses,
            "a dependency whose license the policy does not accept",
            "dependencies whose licenses the policy does not accept",
        ),
        (
            &new_dependencies.risky,
            "a dependency with an operational risk",
            "dependencies with an operational risk",
        ),
    ];
    for (added, one, many) in sections {
        if added.is_empty() {
            continue;
        }
        let count = match added.len() {
            1 => one.to_owned(),
            count => format!("{count} {many}"),
        };
        body.push_str(&format!("**This merge request adds {count}:**\n\n"));
        for issue in added.iter().take(SUMMARY_ROWS) {
            body.push_str(&format!(
                "- {} ({}, `{}` line {})\n",
                escape(&issue.title),
                issue.severity,
                escape(&issue.path),
                issue.start_line
            ));
        }
        body.push('\n');
    }
    if !problems.is_empty() {
        body.push_str(
            "**Configuration problems.** These settings were not applied; their defaults were used:\n\n",
        );
        for problem in problems.iter().take(SUMMARY_ROWS) {
            body.push_str(&format!("- `{}`\n", escape(&problem.describe()).replace('`', "'")));
        }
        body.push('\n');
    }
    body.push_str(&format!(
        "Scanned {} at `{short}`.",
        plural(usize::try_from(files).unwrap_or(0), "file")
    ));
    if let Some(link) = link {
        body.push_str(&format!(" [Open in Vigil]({link})"));
    }
    body.push('\n');
    body
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 { format!("1 {noun}") } else { format!("{count} {noun}s") }
}

/// Keeps a value from breaking the Markdown table.
fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Edits Vigil's summary note, or writes it once. The note is found by the
/// id stored from last time, else by its marker among the MR's notes.
async fn write_summary(
    client: &Client,
    project: u64,
    iid: i64,
    known: Option<i64>,
    body: &str,
) -> Result<i64, vigil_gitlab::GitLabError> {
    let iid = u64::try_from(iid).unwrap_or(0);
    let mut note_id = known.and_then(|id| u64::try_from(id).ok());
    if note_id.is_none() {
        let me = client.current_user().await?;
        note_id = client
            .merge_request_notes(project, iid)
            .await?
            .into_iter()
            .find(|note| note.author.id == me.id && note.body.starts_with(SUMMARY_MARKER))
            .map(|note| note.id);
    }
    if let Some(id) = note_id {
        match client.update_merge_request_note(project, iid, id, body).await {
            Ok(note) => return Ok(i64::try_from(note.id).unwrap_or(0)),
            // Deleted by someone: write it again.
            Err(vigil_gitlab::GitLabError::Api { status: 404, .. }) => {}
            Err(error) => return Err(error),
        }
    }
    let note = client.create_merge_request_note(project, iid, body).await?;
    Ok(i64::try_from(note.id).unwrap_or(0))
}

/// One dependency finding in words: package, version, how it is reached,
/// the advisory with its other ids and CVSS score, and what to upgrade to.
/// `lodash 4.17.20 (npm, via express@4.17.1): GHSA-… (CVE-…), CVSS 7.4; upgrade to 4.17.21`.
fn dependency_facts(issue: &Issue) -> String {
    let Some(package) = &issue.package else { return issue.title.clone() };
    let reached = match package.dependency_path.split_last() {
        Some((_, via)) if !via.is_empty() => format!(", via {}", via.join(" → ")),
        _ => format!(", {}", package.dependency.as_str()),
    };
    let mut text =
        format!("`{}` {} ({}{reached})", package.name, package.version, package.ecosystem);
    if let Some(advisory) = &issue.advisory {
        text.push_str(&format!(": {}", advisory.id));
        if !advisory.aliases.is_empty() {
            text.push_str(&format!(" ({})", advisory.aliases.join(", ")));
        }
        if let Some(score) = advisory.cvss_score() {
            text.push_str(&format!(", CVSS {score}"));
        }
    }
    match package.fixed_versions.first() {
        Some(fixed) => text.push_str(&format!("; upgrade to {fixed} or later")),
        None => text.push_str("; no fixed version is published yet"),
    }
    text
}

/// The lines each file of the MR adds, by its new path.
fn added_lines(mr_diffs: &[FileDiff]) -> BTreeMap<&str, (&FileDiff, BTreeSet<u32>)> {
    mr_diffs
        .iter()
        .filter(|diff| !diff.deleted_file)
        .map(|diff| {
            (
                diff.new_path.as_str(),
                (diff, vigil_gitlab::added_lines(&diff.diff).into_iter().collect()),
            )
        })
        .collect()
}

/// One inline discussion per issue on a line the MR adds, unless one with
/// its marker exists.
async fn discuss(
    client: &Client,
    project: u64,
    iid: i64,
    diff_refs: &DiffRefs,
    added: &BTreeMap<&str, (&FileDiff, BTreeSet<u32>)>,
    issues: &[Issue],
) -> Result<(), vigil_gitlab::GitLabError> {
    let iid = u64::try_from(iid).unwrap_or(0);
    let wanted: Vec<(&Issue, &FileDiff, u32)> = issues
        .iter()
        .filter_map(|issue| {
            let (diff, lines) = added.get(issue.path.as_str())?;
            // An IaC finding is discussed on its offending attribute when the
            // change adds that line, else on the resource's first line.
            let attribute = issue.resource.as_ref().and_then(|resource| resource.attribute_line);
            let start = u32::try_from(issue.start_line).ok()?;
            let line = attribute.filter(|line| lines.contains(line)).unwrap_or(start);
            lines.contains(&line).then_some((issue, *diff, line))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let existing: BTreeSet<String> = client
        .merge_request_discussions(project, iid)
        .await?
        .into_iter()
        .flat_map(|discussion| discussion.notes)
        .filter_map(|note| marker_fingerprint(&note.body).map(str::to_owned))
        .collect();
    for (issue, diff, line) in wanted {
        if existing.contains(&issue.fingerprint) {
            continue;
        }
        let position = Position {
            base_sha: diff_refs.base_sha.clone(),
            start_sha: diff_refs.start_sha.clone(),
            head_sha: diff_refs.head_sha.clone(),
            old_path: diff.old_path.clone(),
            new_path: diff.new_path.clone(),
            new_line: Some(line),
            old_line: None,
        };
        client
            .create_merge_request_discussion(project, iid, &discussion_body(issue), &position)
            .await?;
    }
    Ok(())
}

fn discussion_body(issue: &Issue) -> String {
    let rule = vigil_pipeline::registry::find_rule(&issue.rule_id).map(|found| found.rule);
    let advice = match (issue.kind, &issue.resource, &rule) {
        (FindingKind::Secret, _, _) => {
            "Remove it from the change and rotate it: it is in the branch's history now, so treat it as exposed.".to_owned()
        }
        (_, Some(resource), Some(rule)) => {
            let also = if rule.aliases.is_empty() {
                String::new()
            } else {
                format!(" (also {})", rule.aliases.join(", "))
            };
            format!(
                "Resource `{}`{also}.\n\n{}\n\n**Fix:** {}",
                resource.address, rule.description, rule.remediation
            )
        }
        (FindingKind::Vulnerability | FindingKind::OperationalRisk, _, _)
            if issue.package.is_some() =>
        {
            let url = issue
                .advisory
                .as_ref()
                .filter(|advisory| !advisory.url.is_empty())
                .map(|advisory| format!("\n\nAdvisory: {}", advisory.url))
                .unwrap_or_default();
            format!("{}.{url}", dependency_facts(issue))
        }
        _ => "See the rule's documentation in Vigil for how to fix it.".to_owned(),
    };
    format!(
        "<!-- vigil:fp:{} -->\n**Vigil: {}** ({} {}, rule `{}`)\n\n{advice}",
        issue.fingerprint, issue.title, issue.severity, issue.kind, issue.rule_id
    )
}

/// The fingerprint in a discussion body written by [`discussion_body`].
fn marker_fingerprint(body: &str) -> Option<&str> {
    body.strip_prefix("<!-- vigil:fp:")?.split_once(" -->").map(|(fingerprint, _)| fingerprint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_discussion_marker_round_trips() {
        let issue = Issue {
            fingerprint: "abc123".into(),
            rule_id: "aws-access-key".into(),
            title: "AWS access key".into(),
            path: "config.env".into(),
            ..issue_with_id(1)
        };
        assert_eq!(marker_fingerprint(&discussion_body(&issue)), Some("abc123"));
        assert_eq!(marker_fingerprint("a human comment"), None);
        let problem = Diagnostic::for_file(
            vigil_core::DiagnosticLevel::Error,
            "vigil.toml",
            "invalid vigil.toml: unknown field `polcy`",
        )
        .at(4, Some(1));
        let body = summary(
            &[issue],
            &NewDependencies::default(),
            1,
            3,
            &[problem],
            "0123456789abcdef",
            None,
        );
        assert!(
            body.contains("- `vigil.toml:4:1: invalid vigil.toml: unknown field 'polcy'`\n"),
            "{body}"
        );
        assert!(body.starts_with(SUMMARY_MARKER));
        assert!(
            body.contains(
                "| high | secret | AWS access key (`aws-access-key`) | `config.env` | 3 |"
            ),
            "{body}"
        );
        assert!(body.contains("Scanned 3 files at `01234567`."), "{body}");

        // An IaC issue names its resource in the summary, and its discussion
        // carries the explanation, the fix and the Checkov id.
        let iac = Issue {
            kind: FindingKind::Iac,
            rule_id: "IAC1017".into(),
            title: "RDS instance is publicly accessible".into(),
            path: "infra/db.tf".into(),
            resource: Some(vigil_core::Resource {
                address: "aws_db_instance.orders".into(),
                framework: "terraform".into(),
                attribute: Some("publicly_accessible".into()),
                attribute_line: Some(5),
            }),
            ..issue_with_id(2)
        };
        let body = summary(
            std::slice::from_ref(&iac),
            &NewDependencies::default(),
            1,
            1,
            &[],
            "0123456789abcdef",
            None,
        );
        assert!(
            body.contains(
                "RDS instance is publicly accessible (`IAC1017`) on `aws_db_instance.orders`"
            ),
            "{body}"
        );
        let discussion = discussion_body(&iac);
        assert!(
            discussion.contains("Resource `aws_db_instance.orders` (also CKV_AWS_17)."),
            "{discussion}"
        );
        assert!(discussion.contains("**Fix:** "), "{discussion}");
    }

    #[test]
    fn a_vulnerable_dependency_is_named_with_its_advisory_and_fix() {
        let issue = Issue {
            kind: FindingKind::Vulnerability,
            rule_id: "SCA001".into(),
            title: "minimist 1.2.5: Prototype Pollution in minimist".into(),
            path: "web/package-lock.json".into(),
            start_line: 40,
            package: Some(vigil_core::Package {
                ecosystem: "npm".into(),
                purl: "pkg:npm/minimist@1.2.5".into(),
                name: "minimist".into(),
                version: "1.2.5".into(),
                dependency: vigil_core::Dependency::Transitive,
                fixed_versions: vec!["1.2.6".into()],
                dependency_path: vec!["mkdirp@0.5.5".into(), "minimist@1.2.5".into()],
            }),
            advisory: Some(vigil_core::AdvisoryInfo {
                id: "GHSA-xvch-5gv4-984h".into(),
                aliases: vec!["CVE-2021-44906".into()],
                url: "https://osv.dev/vulnerability/GHSA-xvch-5gv4-984h".into(),
                cvss_vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
                cvss_score_tenths: Some(98),
            }),
            ..issue_with_id(3)
        };
        let added = NewDependencies { vulnerable: vec![&issue], ..NewDependencies::default() };
        let body =
            summary(std::slice::from_ref(&issue), &added, 1, 1, &[], "0123456789abcdef", None);
        assert!(
            body.contains("Prototype Pollution in minimist (`SCA001`), fixed in 1.2.6 | `web/package-lock.json` | 40 |"),
            "{body}"
        );
        assert!(
            body.contains(
                "**This merge request adds a vulnerable dependency:**\n\n- `minimist` 1.2.5 (npm, via mkdirp@0.5.5): \
                 GHSA-xvch-5gv4-984h (CVE-2021-44906), CVSS 9.8; upgrade to 1.2.6 or later\n"
            ),
            "{body}"
        );
        let discussion = discussion_body(&issue);
        assert!(discussion.contains("upgrade to 1.2.6 or later."), "{discussion}");
        assert!(
            discussion.contains("Advisory: https://osv.dev/vulnerability/GHSA-xvch-5gv4-984h"),
            "{discussion}"
        );
        // No fix yet, and the table says so.
        let unfixed = Issue {
            package: issue
                .package
                .clone()
                .map(|package| vigil_core::Package { fixed_versions: Vec::new(), ..package }),
            ..issue.clone()
        };
        let body =
            summary(&[unfixed], &NewDependencies::default(), 1, 1, &[], "0123456789abcdef", None);
        assert!(body.contains("no fixed version yet"), "{body}");
        assert!(!body.contains("This merge request adds"), "{body}");
    }

    /// License and operational-risk issues the MR brings in get their own
    /// sections, and their table rows say nothing of fixed versions.
    #[test]
    fn added_license_and_risk_issues_get_their_sections() {
        let package = |name: &str, version: &str| vigil_core::Package {
            ecosystem: "PyPI".into(),
            purl: format!("pkg:pypi/{name}@{version}"),
            name: name.into(),
            version: version.into(),
            dependency: vigil_core::Dependency::Direct,
            fixed_versions: Vec::new(),
            dependency_path: vec![format!("{name}@{version}")],
        };
        let license = Issue {
            kind: FindingKind::License,
            rule_id: "LIC001".into(),
            title: "mysql-connector 2.2.9: GPL-2.0-only (strong copyleft)".into(),
            path: "requirements.txt".into(),
            start_line: 2,
            package: Some(package("mysql-connector", "2.2.9")),
            license: Some(vigil_core::LicenseInfo {
                expression: "GPL-2.0-only".into(),
                category: "strong_copyleft".into(),
            }),
            ..issue_with_id(4)
        };
        let risky = Issue {
            kind: FindingKind::OperationalRisk,
            rule_id: "SCA005".into(),
            title: "High operational risk in pycrypto 2.6.1: last release 12 years ago; risk score 91 of 100".into(),
            path: "requirements.txt".into(),
            start_line: 3,
            package: Some(package("pycrypto", "2.6.1")),
            ..issue_with_id(5)
        };
        let issues = [license.clone(), risky.clone()];
        let added = NewDependencies {
            licenses: vec![&issues[0]],
            risky: vec![&issues[1]],
            ..NewDependencies::default()
        };
        let body = summary(&issues, &added, 2, 1, &[], "0123456789abcdef", None);
        assert!(
            body.contains(
                "**This merge request adds a dependency whose license the policy does not accept:**\n\n\
                 - mysql-connector 2.2.9: GPL-2.0-only (strong copyleft) (high, `requirements.txt` line 2)\n"
            ),
            "{body}"
        );
        assert!(
            body.contains(
                "**This merge request adds a dependency with an operational risk:**\n\n\
                 - High operational risk in pycrypto 2.6.1: last release 12 years ago; risk score 91 of 100 (high, `requirements.txt` line 3)\n"
            ),
            "{body}"
        );
        assert!(!body.contains("fixed"), "{body}");
        // Issues on lines the MR does not add stay in the table only.
        let body =
            summary(&issues, &NewDependencies::default(), 2, 1, &[], "0123456789abcdef", None);
        assert!(!body.contains("This merge request adds"), "{body}");
        assert!(body.contains("| high | license | mysql-connector 2.2.9"), "{body}");
    }

    fn issue_with_id(id: i64) -> Issue {
        Issue {
            id,
            repository_id: 1,
            branch: "feature".into(),
            fingerprint: format!("fp{id}"),
            kind: FindingKind::Secret,
            rule_id: String::new(),
            title: String::new(),
            severity: vigil_core::Severity::High,
            status: vigil_core::IssueStatus::Open,
            path: String::new(),
            start_line: 3,
            evidence: Value::Null,
            package: None,
            advisory: None,
            resource: None,
            license: None,
            first_seen_at: 0,
            last_seen_at: 0,
            fixed_at: None,
        }
    }
}
