//! Benchmark driver for the GitLab integration issue's two figures, against
//! a real `vigil serve` process (SQLite, fresh data directory per run) and
//! this crate's simulator in-process, over loopback HTTP:
//!
//! 1. **Merge request webhook → `vigil` commit status** on a repository of
//!    `--repo-files` (1,000) realistic source files of a few KB (five hold a
//!    GitLab token). After the repository's onboarding scan has finished,
//!    each of `--rounds` (20) rounds creates a branch, commits 1–5 files
//!    (a new `deploy/aws-*.env` with an AWS key pair, plus edited sources),
//!    waits for the Push Hook to be answered, then times from
//!    `Simulator::open_merge_request` (the Merge Request Hook fires) until
//!    `Simulator::commit_statuses` shows a status named `vigil` on the head
//!    (polled every 10 ms); it must be `failed`. One more merge request
//!    changes `--big-mr` (200) files. Reported: p50 / p95 / max, and per
//!    round the phases seen from the simulator: hook answered, first GitLab
//!    call of the scan (the job was claimed), last raw file downloaded.
//!    After each round the driver drops the round's branch and commits from
//!    the simulator (which clones a project's whole history per API call),
//!    and it reports the simulator's own time per raw-file GET.
//!    Target: p50 under 5 s.
//! 2. **Onboarding `--projects` (1,000) repositories** of a few files
//!    each: time from `PUT /api/v1/instances/{id}/selection {"mode":"all"}`
//!    to the first hook request (projects listed), to one hook on every
//!    project in the simulator, to every onboarding scan listed by
//!    `GET /api/v1/scans` (queued or later), and to the instance's status
//!    `connected`; `--runs` (3) runs, median. Then, in the first run and for
//!    information, until every onboarding scan finished. Target: under 60 s.
//!    The hooks are counted every 10 ms, the instance read every 100 ms, the
//!    scan list every 50 ms once every hook is in.
//!
//! The instance is connected with the simulator user's access token
//! (`POST /api/v1/instances {"name", "base_url", "access_token"}`), not
//! OAuth. Any failure (a status that never comes within 60 s, a scan that
//! failed, whose `errors` are printed) exits non-zero. Output in `--out`
//! (default `bench/.work/gitlab-out`): `results.tsv` (figure, seconds,
//! target, ratio), `mr-rounds.tsv`, `onboarding-runs.tsv` and one
//! `serve-*.log` per server (`VIGIL_LOG`, default `info`).
//!
//! Run it through `bench/gitlab.sh`, or directly:
//!
//! ```sh
//! cargo build --release -p vigil
//! cargo run --release -p gitlab-sim --example bench_gitlab -- \
//!     --vigil target/release/vigil --projects 50 --runs 1 --rounds 3
//! ```
//!
//! Flags: `--vigil PATH` (target/release/vigil), `--out DIR`, `--projects N`
//! (1000), `--files-per-project N` (3), `--runs N` (3), `--repo-files N`
//! (1000), `--rounds N` (20), `--big-mr N` (200; 0 skips), `--workers N`
//! (2), `--only onboarding|mr`, `--no-wait-scans` (skip waiting for the
//! onboarding scans to finish), `--keep` (keep the data directories).
#![allow(clippy::print_stdout)]

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gitlab_sim::{MAINTAINER, Simulator};
use reqwest::Method;
use serde_json::{Value, json};

type Res<T> = Result<T, String>;

const ADMIN: &str = "bench";
const PASSWORD: &str = "bench passphrase for vigil";
const AWS: &str = "region = eu-west-1\naws_access_key_id = AKIAZ7VRSQ5TQQN4XN2M\n\
aws_secret_access_key = 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\n";
const GITLAB_TOKEN: &str = "glpat-Vq3xTz8kLm2NpR7sWd4Y";
/// The MR figure's target: p50 under 5 s.
const MR_TARGET_S: f64 = 5.0;
/// The onboarding figure's target: under 60 s.
const ONBOARDING_TARGET_S: f64 = 60.0;
/// How long a status may take before the round counts as failed.
const STATUS_TIMEOUT: Duration = Duration::from_secs(60);

trait Context<T> {
    fn ctx(self, what: &str) -> Res<T>;
}

impl<T, E: std::fmt::Display> Context<T> for Result<T, E> {
    fn ctx(self, what: &str) -> Res<T> {
        self.map_err(|error| format!("{what}: {error}"))
    }
}

impl<T> Context<T> for Option<T> {
    fn ctx(self, what: &str) -> Res<T> {
        self.ok_or_else(|| what.to_owned())
    }
}

#[derive(Debug, Clone)]
struct Options {
    vigil: PathBuf,
    out: PathBuf,
    projects: usize,
    files_per_project: usize,
    runs: usize,
    repo_files: usize,
    rounds: usize,
    big_mr: usize,
    workers: usize,
    only: Option<String>,
    wait_scans: bool,
    keep: bool,
    log: String,
}

impl Options {
    fn parse() -> Res<Options> {
        let mut options = Options {
            vigil: PathBuf::from("target/release/vigil"),
            out: PathBuf::from("bench/.work/gitlab-out"),
            projects: 1000,
            files_per_project: 3,
            runs: 3,
            repo_files: 1000,
            rounds: 20,
            big_mr: 200,
            workers: 2,
            only: None,
            wait_scans: true,
            keep: false,
            log: "info".to_owned(),
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let mut value = || args.next().ctx(&format!("{flag} needs a value"));
            let number = |text: String| text.parse::<usize>().ctx(&format!("{flag} {text}"));
            match flag.as_str() {
                "--vigil" => options.vigil = PathBuf::from(value()?),
                "--out" => options.out = PathBuf::from(value()?),
                "--projects" => options.projects = number(value()?)?,
                "--files-per-project" => options.files_per_project = number(value()?)?,
                "--runs" => options.runs = number(value()?)?,
                "--repo-files" => options.repo_files = number(value()?)?,
                "--rounds" => options.rounds = number(value()?)?,
                "--big-mr" => options.big_mr = number(value()?)?,
                "--workers" => options.workers = number(value()?)?,
                "--only" => options.only = Some(value()?),
                "--log" => options.log = value()?,
                "--no-wait-scans" => options.wait_scans = false,
                "--keep" => options.keep = true,
                other => return Err(format!("unknown flag {other} (see the example's doc)")),
            }
        }
        if options.rounds == 0 || options.runs == 0 || options.projects == 0 {
            return Err("--rounds, --runs and --projects must be at least 1".into());
        }
        if options.repo_files < 10 || options.big_mr > options.repo_files {
            return Err("--repo-files must be at least 10 and at least --big-mr".into());
        }
        Ok(options)
    }

    fn wants(&self, figure: &str) -> bool {
        self.only.as_deref().is_none_or(|only| only == figure)
    }
}

// --- the vigil server ----------------------------------------------------------------------

/// A `vigil serve` child process on a fresh SQLite data directory.
struct Server {
    child: Option<Child>,
    base: String,
    data: PathBuf,
    keep: bool,
}

impl Server {
    async fn start(options: &Options, name: &str) -> Res<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .ctx("no free port")?
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let data = options.out.join(format!("data-{name}"));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).ctx("cannot create the data directory")?;
        let log = std::fs::File::create(options.out.join(format!("serve-{name}.log")))
            .ctx("cannot create the server log")?;
        let child = Command::new(&options.vigil)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--public-url", &base])
            .args(["--workers", &options.workers.to_string(), "--data-dir"])
            .arg(&data)
            .env("VIGIL_ADMIN_USERNAME", ADMIN)
            .env("VIGIL_ADMIN_PASSWORD", PASSWORD)
            .env("VIGIL_LOG", &options.log)
            .env_remove("VIGIL_DATABASE_URL")
            .env_remove("VIGIL_MASTER_KEY")
            .env_remove("VIGIL_DATA_DIR")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .ctx(&format!("cannot start {}", options.vigil.display()))?;
        let mut server = Server { child: Some(child), base, data, keep: options.keep };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(child) = server.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(format!(
                    "vigil serve exited at start: {status} (see serve-{name}.log)"
                ));
            }
            let ready = http.get(format!("{}/readyz", server.base)).send().await;
            if ready.is_ok_and(|response| response.status() == 200) {
                return Ok(server);
            }
            if Instant::now() > deadline {
                server.stop();
                return Err(format!("vigil serve not ready in 60 s (see serve-{name}.log)"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, up to 40 s for the graceful shutdown, then SIGKILL.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(40);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.data);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A signed-in admin: the session cookie and its CSRF token.
struct Api {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

impl Api {
    async fn sign_in(base: &str) -> Res<Api> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .ctx("http client")?;
        let response = http
            .post(format!("{base}/api/v1/session"))
            .json(&json!({"username": ADMIN, "password": PASSWORD}))
            .send()
            .await
            .ctx("POST /api/v1/session")?;
        if response.status() != 200 {
            return Err(format!("sign-in answered {}", response.status()));
        }
        let cookie = response
            .headers()
            .get(reqwest::header::SET_COOKIE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .ctx("no session cookie")?
            .to_owned();
        let body: Value = response.json().await.ctx("session body")?;
        let csrf = body["csrf_token"].as_str().ctx("no csrf_token")?.to_owned();
        Ok(Api { http, base: base.to_owned(), cookie, csrf })
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Res<(u16, Value)> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.ctx(&format!("{method} {path}"))?;
        let status = response.status().as_u16();
        let text = response.text().await.ctx(&format!("{method} {path}"))?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
    }

    async fn get(&self, path: &str) -> Res<Value> {
        let (status, body) = self.call(Method::GET, path, None).await?;
        if status != 200 {
            return Err(format!("GET {path} answered {status}: {body}"));
        }
        Ok(body)
    }

    /// Every scan (all pages, newest first).
    async fn scans(&self) -> Res<Vec<Value>> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(cursor) => format!("/api/v1/scans?limit=500&cursor={cursor}"),
                None => "/api/v1/scans?limit=500".to_owned(),
            };
            let page = self.get(&path).await?;
            all.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return Ok(all),
            }
        }
    }

    /// Creates an instance connected with `token`; returns its id.
    async fn create_instance(&self, sim: &Simulator, token: &str) -> Res<i64> {
        let body = json!({"name": "sim", "base_url": sim.base_url(), "access_token": token});
        let (status, instance) = self.call(Method::POST, "/api/v1/instances", Some(body)).await?;
        if status != 201 {
            return Err(format!("POST /api/v1/instances answered {status}: {instance}"));
        }
        instance["id"].as_i64().ctx("instance without id")
    }

    async fn select_all(&self, instance: i64) -> Res<()> {
        let path = format!("/api/v1/instances/{instance}/selection");
        let (status, body) = self.call(Method::PUT, &path, Some(json!({"mode": "all"}))).await?;
        if status != 202 {
            return Err(format!("PUT {path} answered {status}: {body}"));
        }
        Ok(())
    }
}

fn failed_scans(scans: &[Value]) -> Vec<String> {
    scans
        .iter()
        .filter(|scan| scan["status"] == "failed")
        .map(|scan| {
            format!(
                "scan {} ({}, repository {}) failed: {}",
                scan["id"], scan["trigger"], scan["repository_id"], scan["errors"]
            )
        })
        .collect()
}

// --- repository content --------------------------------------------------------------------

/// A source file of a few KB, Rust, Python or TypeScript by `index`; five
/// of every thousand Python files hold a GitLab token.
fn source_file(index: usize) -> (String, String) {
    let mut text = String::new();
    let module = format!("m{index:04}");
    match index % 3 {
        0 => {
            let _ = writeln!(text, "//! Module {module}: records, parsing and totals.\n");
            let _ = writeln!(text, "use std::collections::BTreeMap;\n");
            let _ = writeln!(
                text,
                "#[derive(Debug, Clone, PartialEq)]\npub struct Record{index} {{\n    pub name: String,\n    pub amount: i64,\n    pub tags: Vec<String>,\n}}\n"
            );
            for function in 0..8 {
                let _ = writeln!(
                    text,
                    "/// Sums the amounts of records whose name starts with `{module}_{function}`.\n\
pub fn total_{function}(records: &[Record{index}]) -> i64 {{\n    let mut by_name: BTreeMap<&str, i64> = BTreeMap::new();\n    \
for record in records.iter().filter(|record| record.name.starts_with(\"{module}_{function}\")) {{\n        \
*by_name.entry(record.name.as_str()).or_default() += record.amount * {factor};\n    }}\n    \
by_name.values().sum::<i64>() - {offset}\n}}\n",
                    factor = function + 1,
                    offset = index % 97,
                );
            }
        }
        1 => {
            let _ = writeln!(text, "\"\"\"Module {module}: loading and reporting.\"\"\"\n");
            let _ =
                writeln!(text, "import json\nimport logging\nfrom dataclasses import dataclass\n");
            let _ = writeln!(text, "log = logging.getLogger(__name__)\n");
            if index % 200 == 1 {
                let _ = writeln!(text, "GITLAB_TOKEN = \"{GITLAB_TOKEN}\"\n");
            }
            let _ = writeln!(
                text,
                "@dataclass\nclass Row{index}:\n    name: str\n    amount: int\n    tags: list\n"
            );
            for function in 0..8 {
                let _ = writeln!(
                    text,
                    "def report_{function}(path, limit={limit}):\n    \"\"\"Reads rows from `path` and logs the largest {limit}.\"\"\"\n    \
with open(path, encoding=\"utf-8\") as handle:\n        rows = [Row{index}(**item) for item in json.load(handle)]\n    \
rows.sort(key=lambda row: row.amount * {factor}, reverse=True)\n    for row in rows[:limit]:\n        \
log.info(\"%s %d\", row.name, row.amount)\n    return len(rows)\n",
                    limit = 5 + function,
                    factor = index % 13 + 1,
                );
            }
        }
        _ => {
            let _ = writeln!(text, "// Module {module}: view helpers.\n");
            let _ = writeln!(text, "import {{ format }} from \"./format\";\n");
            let _ = writeln!(
                text,
                "export interface Item{index} {{\n  id: number;\n  title: string;\n  done: boolean;\n}}\n"
            );
            for function in 0..8 {
                let _ = writeln!(
                    text,
                    "/** Renders the items of page {function} ({module}). */\n\
export function render{function}(items: Item{index}[], page = {function}): string {{\n  \
const start = page * {size};\n  return items\n    .slice(start, start + {size})\n    \
.filter((item) => !item.done || item.id % {modulo} === 0)\n    \
.map((item) => `<li data-id=\"${{item.id}}\">${{format(item.title)}}</li>`)\n    .join(\"\\n\");\n}}\n",
                    size = 10 + index % 7,
                    modulo = function + 2,
                );
            }
        }
    }
    let extension = ["rs", "py", "ts"][index % 3];
    (format!("src/{}/{module}.{extension}", index / 100), text)
}

/// `index`'s source with a line appended (an MR's edit).
fn edited(index: usize, round: &str) -> (String, String) {
    let (path, mut text) = source_file(index);
    let _ = writeln!(text, "\n// change for {round}\n");
    (path, text)
}

// --- statistics and output -----------------------------------------------------------------

fn percentile(values: &[f64], quantile: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    // Nearest rank.
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median(values: &[f64]) -> f64 {
    percentile(values, 0.5)
}

fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

/// A row of the results table.
struct Figure {
    name: String,
    value: f64,
    target: Option<f64>,
}

// --- figure 2: onboarding ------------------------------------------------------------------

#[derive(Debug, Default, Clone, Copy)]
struct Onboarding {
    listed: f64,
    hooks: f64,
    scans_queued: f64,
    connected: f64,
    scans_done: Option<f64>,
    gitlab_requests: usize,
}

async fn onboarding_run(options: &Options, run: usize) -> Res<Onboarding> {
    let sim = Simulator::start().await.ctx("simulator")?;
    sim.state().allow_local_webhooks = true;
    let token = sim.add_user("bench", false);
    let mut projects = Vec::new();
    for project in 0..options.projects {
        let id = sim.add_project(
            &format!("group{}/app-{project}", project / 100),
            "main",
            &[("bench", MAINTAINER)],
        );
        for file in 0..options.files_per_project {
            let (path, text) = source_file(project * options.files_per_project + file);
            sim.write_file(id, &path, text);
        }
        projects.push(id);
    }
    let mut server = Server::start(options, &format!("onboarding-{run}")).await?;
    let api = Api::sign_in(&server.base).await?;
    let instance = api.create_instance(&sim, &token).await?;
    let wanted = options.projects;
    let mut seen = sim.state().requests.len();
    let requests_before = seen;

    let start = Instant::now();
    api.select_all(instance).await?;
    let (mut listed, mut hooks, mut queued, mut connected) = (None, None, None, None);
    let mut last_instance_poll: Option<Instant> = None;
    let mut last_scan_poll: Option<Instant> = None;
    let mut hook_count: usize;
    loop {
        let now = start.elapsed();
        {
            let state = sim.state();
            if listed.is_none()
                && state.requests[seen..].iter().any(|request| request.contains("/hooks"))
            {
                listed = Some(now);
            }
            seen = state.requests.len();
            hook_count = state.projects.values().map(|project| project.hooks.len()).sum();
        }
        if hooks.is_none() && hook_count >= wanted {
            hooks = Some(now);
        }
        if connected.is_none()
            && last_instance_poll.is_none_or(|at| at.elapsed() >= Duration::from_millis(100))
        {
            last_instance_poll = Some(Instant::now());
            let body = api.get(&format!("/api/v1/instances/{instance}")).await?;
            match body["status"].as_str() {
                Some("connected") => connected = Some(start.elapsed()),
                Some("error") => {
                    return Err(format!("the instance went to error: {}", body["status_reason"]));
                }
                _ => {}
            }
        }
        // A repository's first scan is queued after its hook is installed,
        // so the scan list (pages of 500) is read only once every hook is in.
        if queued.is_none()
            && hooks.is_some()
            && last_scan_poll.is_none_or(|at| at.elapsed() >= Duration::from_millis(50))
        {
            last_scan_poll = Some(Instant::now());
            let scans = api.scans().await?;
            let onboarding = scans.iter().filter(|scan| scan["trigger"] == "onboarding").count();
            if onboarding >= wanted {
                queued = Some(start.elapsed());
            }
        }
        if let (Some(listed), Some(hooks), Some(queued), Some(connected)) =
            (listed, hooks, queued, connected)
        {
            let gitlab_requests = sim.state().requests.len() - requests_before;
            let mut result = Onboarding {
                listed: seconds(listed),
                hooks: seconds(hooks),
                scans_queued: seconds(queued),
                connected: seconds(connected),
                scans_done: None,
                gitlab_requests,
            };
            let extra: Vec<_> = {
                let state = sim.state();
                projects
                    .iter()
                    .filter(|id| {
                        state.projects.get(id).is_none_or(|project| project.hooks.len() != 1)
                    })
                    .copied()
                    .collect()
            };
            if !extra.is_empty() {
                return Err(format!("{} projects do not have exactly one hook", extra.len()));
            }
            if options.wait_scans && run == 0 {
                result.scans_done = Some(wait_onboarding_scans(&api, wanted, start).await?);
            }
            server.stop();
            return Ok(result);
        }
        if now > Duration::from_secs(900) {
            return Err(format!(
                "onboarding not done in 900 s: listed {listed:?}, hooks {hook_count}/{wanted}, \
                 scans queued {queued:?}, connected {connected:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until `wanted` onboarding scans succeeded; returns seconds since `start`.
async fn wait_onboarding_scans(api: &Api, wanted: usize, start: Instant) -> Res<f64> {
    loop {
        let scans = api.scans().await?;
        let failed = failed_scans(&scans);
        if !failed.is_empty() {
            return Err(failed.join("\n"));
        }
        let done = scans
            .iter()
            .filter(|scan| scan["trigger"] == "onboarding" && scan["status"] == "succeeded")
            .count();
        if done >= wanted {
            return Ok(seconds(start.elapsed()));
        }
        if start.elapsed() > Duration::from_secs(1800) {
            return Err(format!("only {done} of {wanted} onboarding scans finished in 1800 s"));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

// --- figure 1: merge request to status -----------------------------------------------------

#[derive(Debug, Clone)]
struct Round {
    label: String,
    files: usize,
    /// Open → status named `vigil` on the head.
    total: f64,
    /// Open → the Merge Request Hook answered.
    hook: f64,
    /// Open → the scan's first GitLab call (the job was claimed).
    first_call: f64,
    /// Open → the last raw file downloaded.
    last_file: f64,
    /// Raw files downloaded.
    downloads: usize,
    status: String,
}

struct Repo<'a> {
    sim: &'a Simulator,
    api: &'a Api,
    project: u64,
    files: usize,
}

/// One merge request changing `changed` files (one of them the AWS key
/// file), timed from its opening to the `vigil` status on its head.
async fn merge_request_round(repo: &Repo<'_>, label: &str, changed: usize) -> Res<Round> {
    let Repo { sim, api, project, files } = *repo;
    let branch = format!("bench/{label}");
    sim.create_branch(project, &branch, "main").ctx("create branch")?;
    let mut changes: Vec<(String, String)> =
        vec![(format!("deploy/aws-{label}.env"), AWS.to_owned())];
    let seed = label.bytes().map(usize::from).sum::<usize>();
    for edit in 1..changed {
        changes.push(edited((seed * 37 + edit * 101) % files, label));
    }
    changes.sort();
    changes.dedup_by(|a, b| a.0 == b.0);
    let refs: Vec<(&str, Option<&[u8]>)> =
        changes.iter().map(|(path, text)| (path.as_str(), Some(text.as_bytes()))).collect();
    let deliveries = sim.state().deliveries.len();
    let head = sim.commit(project, &branch, &refs, &format!("Change {label}")).ctx("commit")?;
    // The Push Hook first, so the clock below runs for the MR alone.
    let answered = sim.wait_for_deliveries(deliveries + 1, Duration::from_secs(10)).await;
    if answered.len() <= deliveries {
        return Err(format!("{label}: the Push Hook was not delivered in 10 s"));
    }
    let (mut seen_deliveries, mut seen_requests) = {
        let state = sim.state();
        (state.deliveries.len(), state.requests.len())
    };

    let start = Instant::now();
    let iid = sim
        .open_merge_request(project, &branch, "main", &format!("Bench {label}"))
        .ctx("open merge request")?;
    let mr_path = format!("/merge_requests/{iid}");
    let (mut hook, mut first_call, mut last_file, mut downloads) = (None, None, None, 0);
    loop {
        let now = start.elapsed();
        let status = {
            let state = sim.state();
            for delivery in &state.deliveries[seen_deliveries..] {
                if delivery.event == "Merge Request Hook" && hook.is_none() {
                    match delivery.status {
                        Some(200..=299) => hook = Some(now),
                        other => return Err(format!("{label}: the MR hook got {other:?}")),
                    }
                }
            }
            seen_deliveries = state.deliveries.len();
            for request in &state.requests[seen_requests..] {
                let path = request.split('?').next().unwrap_or_default();
                if first_call.is_none()
                    && request.starts_with("GET ")
                    && (path.ends_with(&mr_path) || path.contains(&format!("{mr_path}/")))
                {
                    first_call = Some(now);
                }
                if path.contains("/repository/files/") {
                    last_file = Some(now);
                    downloads += 1;
                }
            }
            seen_requests = state.requests.len();
            state.projects.get(&project).and_then(|stored| {
                stored
                    .statuses
                    .iter()
                    .find(|status| status.sha == head && status.name == "vigil")
                    .map(|status| status.status.clone())
            })
        };
        if let Some(status) = status {
            let total = seconds(now);
            let round = Round {
                label: label.to_owned(),
                files: changes.len(),
                total,
                hook: hook.map_or(f64::NAN, seconds),
                first_call: first_call.map_or(f64::NAN, seconds),
                last_file: last_file.map_or(f64::NAN, seconds),
                downloads,
                status,
            };
            if round.status != "failed" {
                return Err(format!(
                    "{label}: the vigil status is {} on a merge request that adds an AWS key",
                    round.status
                ));
            }
            return Ok(round);
        }
        if now > STATUS_TIMEOUT {
            let scans = api.scans().await.unwrap_or_default();
            let mr_scans: Vec<String> = scans
                .iter()
                .filter(|scan| scan["trigger"] == "merge_request")
                .take(5)
                .map(|scan| {
                    format!("scan {} {} errors: {}", scan["id"], scan["status"], scan["errors"])
                })
                .collect();
            return Err(format!(
                "{label}: no vigil status on {head} within {} s (hook {hook:?}, first call \
                 {first_call:?}, {downloads} downloads); latest MR scans:\n{}",
                STATUS_TIMEOUT.as_secs(),
                mr_scans.join("\n")
            ));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Drops every branch but the default one and the commits only they
/// reached. The simulator clones a whole project (every commit with its
/// whole tree) on each API call, so a history that grows round after
/// round would slow it down, not Vigil; merge requests stay.
fn prune(sim: &Simulator, project: u64) {
    let mut state = sim.state();
    let Some(stored) = state.projects.get_mut(&project) else { return };
    let default = stored.default_branch.clone();
    stored.repository.branches.retain(|name, _| *name == default);
    let mut keep = std::collections::BTreeSet::new();
    let mut next = stored.repository.branches.get(&default).cloned();
    while let Some(sha) = next {
        next = stored.repository.commits.get(&sha).and_then(|commit| commit.parent.clone());
        keep.insert(sha);
    }
    stored.repository.commits.retain(|sha, _| keep.contains(sha));
}

/// The simulator's own time for one raw-file GET (median of 20 sequential
/// calls), to set the figures against: it is not Vigil's.
async fn sim_request_cost(sim: &Simulator, token: &str, project: u64, path: &str) -> Res<f64> {
    let http = reqwest::Client::new();
    let url = format!(
        "{}/api/v4/projects/{project}/repository/files/{}/raw?ref=main",
        sim.base_url(),
        path.replace('/', "%2F")
    );
    let mut times = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        let response = http.get(&url).bearer_auth(token).send().await.ctx("simulator raw file")?;
        if response.status() != 200 {
            return Err(format!("simulator raw file answered {}", response.status()));
        }
        response.bytes().await.ctx("simulator raw file")?;
        times.push(seconds(start.elapsed()));
    }
    Ok(median(&times))
}

struct MergeRequests {
    rounds: Vec<Round>,
    big: Option<Round>,
    onboarding_scan: f64,
    onboarding_files: i64,
    sim_request: f64,
}

async fn merge_request_figure(options: &Options) -> Res<MergeRequests> {
    let sim = Simulator::start().await.ctx("simulator")?;
    sim.state().allow_local_webhooks = true;
    let token = sim.add_user("bench", false);
    let project = sim.add_project("group/big-app", "main", &[("bench", MAINTAINER)]);
    // One import commit: no hook is installed yet, so none fires.
    let files: Vec<(String, String)> = (0..options.repo_files).map(source_file).collect();
    let refs: Vec<(&str, Option<&[u8]>)> =
        files.iter().map(|(path, text)| (path.as_str(), Some(text.as_bytes()))).collect();
    sim.commit(project, "main", &refs, "Import").ctx("import commit")?;
    let bytes: usize = files.iter().map(|(_, text)| text.len()).sum();
    println!(
        "MR figure: repository of {} files, {:.1} MB (mean {:.1} KB)",
        files.len(),
        bytes as f64 / 1e6,
        bytes as f64 / files.len() as f64 / 1e3
    );

    let server = Server::start(options, "mr").await?;
    let api = Api::sign_in(&server.base).await?;
    let instance = api.create_instance(&sim, &token).await?;
    api.select_all(instance).await?;
    let start = Instant::now();
    let scan = loop {
        let scans = api.scans().await?;
        let failed = failed_scans(&scans);
        if !failed.is_empty() {
            return Err(failed.join("\n"));
        }
        if let Some(scan) = scans
            .iter()
            .find(|scan| scan["trigger"] == "onboarding" && scan["status"] == "succeeded")
        {
            break scan.clone();
        }
        if start.elapsed() > Duration::from_secs(600) {
            return Err("the onboarding scan did not finish in 600 s".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let onboarding_scan = scan["duration_ms"].as_f64().unwrap_or(f64::NAN) / 1e3;
    let onboarding_files = scan["files_scanned"].as_i64().unwrap_or(-1);
    println!(
        "MR figure: onboarding scan {onboarding_scan:.2} s, {onboarding_files} files, {} findings",
        scan["findings"]
    );
    // Let the hooks and jobs of onboarding settle.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let sim_request = sim_request_cost(&sim, &token, project, &files[0].0).await?;
    println!("MR figure: the simulator answers a raw-file GET in {:.2} ms", sim_request * 1e3);
    let repo = Repo { sim: &sim, api: &api, project, files: options.repo_files };
    let mut rounds = Vec::new();
    for round in 0..options.rounds {
        let changed = 1 + round % 5;
        let result = merge_request_round(&repo, &format!("r{round:02}"), changed).await?;
        println!(
            "  {} {} files: {:.3} s (hook {:.3}, first call {:.3}, last file {:.3}) {}",
            result.label,
            result.files,
            result.total,
            result.hook,
            result.first_call,
            result.last_file,
            result.status
        );
        rounds.push(result);
        tokio::time::sleep(Duration::from_millis(300)).await;
        prune(&sim, project);
    }
    let big = if options.big_mr > 0 {
        let result = merge_request_round(&repo, "big", options.big_mr).await?;
        println!(
            "  {} {} files: {:.3} s (hook {:.3}, first call {:.3}, last file {:.3}, {} downloads) {}",
            result.label,
            result.files,
            result.total,
            result.hook,
            result.first_call,
            result.last_file,
            result.downloads,
            result.status
        );
        Some(result)
    } else {
        None
    };
    drop(server);
    Ok(MergeRequests { rounds, big, onboarding_scan, onboarding_files, sim_request })
}

// --- main ----------------------------------------------------------------------------------

fn ratio(figure: &Figure) -> String {
    figure.target.map(|target| format!("{:.2}x", figure.value / target)).unwrap_or_default()
}

fn write_outputs(options: &Options, figures: &[Figure], details: &[(&str, String)]) -> Res<()> {
    let mut tsv = String::from("figure\tseconds\ttarget_s\tratio\n");
    for figure in figures {
        let target = figure.target.map(|target| format!("{target}")).unwrap_or_default();
        let _ = writeln!(tsv, "{}\t{:.4}\t{target}\t{}", figure.name, figure.value, ratio(figure));
    }
    std::fs::write(options.out.join("results.tsv"), tsv).ctx("results.tsv")?;
    for (name, text) in details {
        std::fs::write(options.out.join(name), text).ctx(name)?;
    }
    println!("\n| figure | measured | target | ratio (measured / target) |\n|---|---|---|---|");
    for figure in figures {
        let target = figure.target.map(|target| format!("< {target} s")).unwrap_or_default();
        let digits = if figure.value < 0.1 { 4 } else { 3 };
        println!(
            "| {} | {:.digits$} s | {target} | {} |",
            figure.name,
            figure.value,
            ratio(figure)
        );
    }
    Ok(())
}

async fn run(options: Options) -> Res<()> {
    std::fs::create_dir_all(&options.out).ctx("cannot create the output directory")?;
    if !options.vigil.is_file() {
        return Err(format!(
            "{} not found; build it with cargo build --release -p vigil",
            options.vigil.display()
        ));
    }
    let mut figures = Vec::new();
    let mut details = Vec::new();
    if options.wants("mr") {
        let result = merge_request_figure(&options).await?;
        let totals: Vec<f64> = result.rounds.iter().map(|round| round.total).collect();
        let name = format!("MR webhook → vigil status, {} rounds of 1–5 files", totals.len());
        figures.push(Figure {
            name: format!("{name}: p50"),
            value: median(&totals),
            target: Some(MR_TARGET_S),
        });
        figures.push(Figure {
            name: format!("{name}: p95"),
            value: percentile(&totals, 0.95),
            target: None,
        });
        figures.push(Figure {
            name: format!("{name}: max"),
            value: percentile(&totals, 1.0),
            target: None,
        });
        let phase =
            |pick: fn(&Round) -> f64| median(&result.rounds.iter().map(pick).collect::<Vec<_>>());
        figures.push(Figure {
            name: "  p50 phase: MR hook answered".into(),
            value: phase(|round| round.hook),
            target: None,
        });
        figures.push(Figure {
            name: "  p50 phase: scan's first GitLab call (job claimed)".into(),
            value: phase(|round| round.first_call),
            target: None,
        });
        figures.push(Figure {
            name: "  p50 phase: last raw file downloaded".into(),
            value: phase(|round| round.last_file),
            target: None,
        });
        if let Some(big) = &result.big {
            figures.push(Figure {
                name: format!("MR webhook → vigil status, {} files", big.files),
                value: big.total,
                target: Some(MR_TARGET_S),
            });
            figures.push(Figure {
                name: format!("  {} files: last raw file downloaded", big.files),
                value: big.last_file,
                target: None,
            });
        }
        figures.push(Figure {
            name: format!(
                "onboarding scan of the {}-file repository (scan duration)",
                result.onboarding_files
            ),
            value: result.onboarding_scan,
            target: None,
        });
        figures.push(Figure {
            name: "simulator's own time per raw-file GET (not Vigil's)".into(),
            value: result.sim_request,
            target: None,
        });
        let mut tsv = String::from(
            "round\tfiles\ttotal_s\thook_s\tfirst_call_s\tlast_file_s\tdownloads\tstatus\n",
        );
        for round in result.rounds.iter().chain(&result.big) {
            let _ = writeln!(
                tsv,
                "{}\t{}\t{:.3}\t{:.3}\t{:.3}\t{:.3}\t{}\t{}",
                round.label,
                round.files,
                round.total,
                round.hook,
                round.first_call,
                round.last_file,
                round.downloads,
                round.status
            );
        }
        details.push(("mr-rounds.tsv", tsv));
    }
    if options.wants("onboarding") {
        let mut runs = Vec::new();
        for run in 0..options.runs {
            let result = onboarding_run(&options, run).await?;
            println!(
                "onboarding run {run}: listed {:.2} s, hooks {:.2} s, scans queued {:.2} s, connected {:.2} s, \
                 scans finished {}, {} GitLab requests",
                result.listed,
                result.hooks,
                result.scans_queued,
                result.connected,
                result.scans_done.map_or("-".to_owned(), |done| format!("{done:.2} s")),
                result.gitlab_requests
            );
            runs.push(result);
        }
        let pick =
            |field: fn(&Onboarding) -> f64| median(&runs.iter().map(field).collect::<Vec<_>>());
        let n = options.projects;
        let of = format!("median of {}", runs.len());
        figures.push(Figure {
            name: format!("onboarding {n} repos: projects listed ({of})"),
            value: pick(|run| run.listed),
            target: None,
        });
        figures.push(Figure {
            name: format!("onboarding {n} repos: listing + {n} hooks ({of})"),
            value: pick(|run| run.hooks),
            target: Some(ONBOARDING_TARGET_S),
        });
        figures.push(Figure {
            name: format!("onboarding {n} repos: {n} first scans queued ({of})"),
            value: pick(|run| run.scans_queued),
            target: Some(ONBOARDING_TARGET_S),
        });
        figures.push(Figure {
            name: format!("onboarding {n} repos: instance connected ({of})"),
            value: pick(|run| run.connected),
            target: Some(ONBOARDING_TARGET_S),
        });
        if let Some(done) = runs.first().and_then(|run| run.scans_done) {
            figures.push(Figure {
                name: format!("onboarding {n} repos: every first scan finished (run 1)"),
                value: done,
                target: None,
            });
        }
        let mut tsv = String::from(
            "run\tlisted_s\thooks_s\tscans_queued_s\tconnected_s\tscans_done_s\tgitlab_requests\n",
        );
        for (index, run) in runs.iter().enumerate() {
            let _ = writeln!(
                tsv,
                "{index}\t{:.3}\t{:.3}\t{:.3}\t{:.3}\t{}\t{}",
                run.listed,
                run.hooks,
                run.scans_queued,
                run.connected,
                run.scans_done.map_or(String::new(), |done| format!("{done:.3}")),
                run.gitlab_requests
            );
        }
        details.push(("onboarding-runs.tsv", tsv));
    }
    write_outputs(&options, &figures, &details)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::process::ExitCode {
    let result = match Options::parse() {
        Ok(options) => run(options).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench_gitlab: FAILED: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
