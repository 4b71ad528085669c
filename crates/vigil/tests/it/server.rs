//! The server processes for real: `vigil serve` answers and shuts down
//! gracefully; `vigil worker` processes killed with SIGKILL in the middle
//! of jobs lose none of 1,000 jobs and complete each exactly once; two
//! servers and four workers on one PostgreSQL never run a job twice and
//! fire the scheduler once per interval. Workers' JSON logs ("job claimed",
//! "job finished", "scheduler tick") are the evidence.

use std::collections::HashMap;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::Rng as _;
use serde_json::{Value, json};
use vigil_store::testing::{TestStore, postgres, postgres_url, sqlite};
use vigil_store::{NewInstance, NewJob, Queue};

use crate::harness::binary;

/// A child process that is killed when dropped, with its stderr in a file.
pub(crate) struct Process {
    child: Child,
    pub(crate) log: std::path::PathBuf,
}

impl Process {
    pub(crate) fn start(args: &[&str], url: &str, data_dir: &Path, log_name: &str) -> Process {
        let log = data_dir.join(log_name);
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(binary())
            .args(args)
            .args(["--database-url", url, "--data-dir"])
            .arg(data_dir)
            .args(["--log-format", "json"])
            .env("VIGIL_LOG", "warn,vigil=info,vigil_server=debug")
            // No advisory job: it would download from the internet and
            // count among the jobs these tests expect.
            .env("VIGIL_VULNDB_SYNC_HOURS", "0")
            .env_remove("VIGIL_MASTER_KEY")
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap();
        Process { child, log }
    }

    fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for a clean exit.
    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "process {pid} ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(crate) fn events(&self) -> Vec<Value> {
        events(&self.log)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill_hard();
    }
}

fn events(log: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(log).unwrap();
    text.lines().filter_map(|line| serde_json::from_str::<Value>(line).ok()).collect()
}

pub(crate) fn message(event: &Value) -> &str {
    event["fields"]["message"].as_str().unwrap_or("")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

async fn wait_until_succeeded(test: &TestStore, total: i64, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let counts = test.store.queue().counts().await.unwrap();
        if counts.succeeded == total {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{}: only {counts:?} of {total} after {limit:?}",
            test.name
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs per job, from the logs: (job id → attempts that finished, successes).
fn job_runs(logs: &[Vec<Value>]) -> HashMap<i64, Vec<(String, i64, i64, String)>> {
    let mut runs: HashMap<i64, Vec<(String, i64, i64, String)>> = HashMap::new();
    for event in logs.iter().flatten().filter(|event| message(event) == "job finished") {
        let fields = &event["fields"];
        runs.entry(fields["job"].as_i64().unwrap()).or_default().push((
            fields["worker"].as_str().unwrap().to_owned(),
            fields["started_ms"].as_i64().unwrap(),
            fields["finished_ms"].as_i64().unwrap(),
            fields["outcome"].as_str().unwrap().to_owned(),
        ));
    }
    runs
}

/// Starts `vigil serve` on SQLite at `url` and waits for its address.
fn start_server(url: &str, data: &Path) -> (Process, String) {
    start_server_with(&["--listen", "127.0.0.1:0", "--workers", "1"], url, data)
}

/// Starts `vigil serve ARGS` on the database at `url` and waits for its address.
pub(crate) fn start_server_with(args: &[&str], url: &str, data: &Path) -> (Process, String) {
    let server = Process::start(&[&["serve"], args].concat(), url, data, "serve.log");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found = server
            .events()
            .iter()
            .find(|event| message(event).starts_with("vigil is listening"))
            .cloned();
        if let Some(event) = found {
            let address = event["fields"]["address"].as_str().unwrap().to_owned();
            return (server, address);
        }
        assert!(
            Instant::now() < deadline,
            "the server did not start: {:?}",
            std::fs::read_to_string(&server.log)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_answers_and_shuts_down_gracefully() {
    let data = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", data.path().join("vigil.db").display());
    let (mut server, address) = start_server(&url, data.path());
    for (path, expected) in
        [("/healthz", "200 OK"), ("/readyz", "200 OK"), ("/api/v1/issues", "401 Unauthorized")]
    {
        let mut stream = TcpStream::connect(&address).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(response.starts_with(&format!("HTTP/1.1 {expected}")), "{path}: {response}");
    }
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    let stopped = server.events().iter().any(|event| message(event) == "workers stopped");
    assert!(stopped, "{:?}", std::fs::read_to_string(&server.log));
    let key = data.path().join("master.key");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(key).unwrap().permissions().mode() & 0o777, 0o600);
}

/// Backends for process tests: PostgreSQL when available, SQLite always.
async fn backends() -> Vec<TestStore> {
    let mut backends = vec![sqlite().await.unwrap()];
    if let Some(url) = postgres_url("vigil server tests") {
        backends.push(postgres(&url).await.unwrap());
    }
    backends
}

#[test]
fn killed_workers_lose_no_job_and_complete_each_once() {
    let runtime = runtime();
    for test in runtime.block_on(backends()) {
        let data = tempfile::tempdir().unwrap();
        const JOBS: i64 = 1_000;
        runtime.block_on(async {
            let mut rng = rand::thread_rng();
            for _ in 0..JOBS {
                let job =
                    NewJob::new("noop", json!({"sleep_ms": rng.gen_range(5..40)})).max_attempts(20);
                test.store.queue().enqueue(&job, Queue::now_ms()).await.unwrap();
            }
        });
        // Batches of 4: jobs waiting their turn in a killed worker's batch come back too.
        let args =
            ["worker", "--workers", "4", "--lease", "1", "--poll-ms", "50", "--claim-batch", "4"];
        let mut generation = 0;
        let spawn = |generation: &mut usize| {
            *generation += 1;
            Process::start(&args, &test.url, data.path(), &format!("worker-{generation}.log"))
        };
        let mut workers = vec![spawn(&mut generation), spawn(&mut generation)];
        let mut killed = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(240);
        let mut rng = rand::thread_rng();
        loop {
            let counts = runtime.block_on(test.store.queue().counts()).unwrap();
            if counts.succeeded == JOBS {
                break;
            }
            assert!(Instant::now() < deadline, "{}: stuck at {counts:?}", test.name);
            assert_eq!(counts.dead, 0, "{}", test.name);
            std::thread::sleep(Duration::from_millis(rng.gen_range(150..400)));
            // Kill one worker at random in the middle of its jobs; start a new one.
            if killed.len() < 12 {
                let mut victim = workers.swap_remove(rng.gen_range(0..workers.len()));
                victim.kill_hard();
                killed.push(victim);
                workers.push(spawn(&mut generation));
            }
        }
        for worker in &mut workers {
            assert!(worker.terminate().success());
        }
        let logs: Vec<Vec<Value>> = workers.iter().chain(&killed).map(Process::events).collect();
        let runs = job_runs(&logs);
        let successes = |job: &i64| {
            runs.get(job).map_or(0, |runs| runs.iter().filter(|run| run.3 == "succeeded").count())
        };
        let twice: Vec<i64> = (1..=JOBS).filter(|job| successes(job) > 1).collect();
        assert!(twice.is_empty(), "{}: jobs completed twice: {twice:?}", test.name);
        // A worker killed between committing a completion and logging it
        // leaves a job the database (the truth) has as succeeded once, with
        // no log line: at most the jobs the killed workers held.
        let unlogged = (1..=JOBS).filter(|job| successes(job) == 0).count();
        assert!(unlogged <= killed.len() * 4, "{}: {unlogged} jobs without a run", test.name);
        assert!(
            runs.values().flatten().all(|run| run.3 == "succeeded"),
            "{}: no lease was lost",
            test.name
        );
        // The kills interrupted jobs, which ran again after their lease.
        let mut claims: HashMap<i64, usize> = HashMap::new();
        for event in logs.iter().flatten().filter(|event| message(event) == "job claimed") {
            *claims.entry(event["fields"]["job"].as_i64().unwrap()).or_default() += 1;
        }
        let rerun = claims.values().filter(|count| **count > 1).count();
        assert!(rerun >= 1, "{}: the kills hit no running job ({} kills)", test.name, killed.len());
        runtime.block_on(test.drop_database()).unwrap();
    }
}

#[test]
fn two_servers_and_four_workers_run_each_job_once_and_schedule_once_per_interval() {
    let Some(admin_url) = postgres_url("vigil server tests") else { return };
    let runtime = runtime();
    let test = runtime.block_on(postgres(&admin_url)).unwrap();
    let data = tempfile::tempdir().unwrap();
    const JOBS: i64 = 500;
    let interval_s = 2;
    runtime.block_on(async {
        let store = test.store.clone().with_keyring(
            vigil_store::Keyring::load_or_create(&data.path().join("master.key")).unwrap(),
        );
        let instance = NewInstance {
            name: "gitlab".into(),
            base_url: "https://gitlab.example.com".into(),
            oauth_client_id: None,
            oauth_client_secret: None,
            transporter_id: None,
            scan_interval_s: interval_s,
            created_by: None,
        };
        let instance = store.create_instance(&instance, Queue::now_ms()).await.unwrap();
        store
            .upsert_repository(instance.id, 1, "group/app", "main", Queue::now_ms())
            .await
            .unwrap();
        for n in 0..JOBS {
            let job = NewJob::new("noop", json!({"sleep_ms": n % 7}));
            test.store.queue().enqueue(&job, Queue::now_ms()).await.unwrap();
        }
    });
    let started = Instant::now();
    let mut processes = Vec::new();
    for n in 0..2 {
        let args = ["serve", "--listen", "127.0.0.1:0", "--no-worker", "--scheduler-tick", "1"];
        processes.push(Process::start(&args, &test.url, data.path(), &format!("serve-{n}.log")));
    }
    for n in 0..4 {
        let args = ["worker", "--workers", "2", "--lease", "5", "--poll-ms", "50"];
        processes.push(Process::start(&args, &test.url, data.path(), &format!("worker-{n}.log")));
    }
    runtime.block_on(wait_until_succeeded(&test, JOBS, Duration::from_secs(120)));
    // Let the scheduler run for several intervals.
    std::thread::sleep(Duration::from_secs(7).saturating_sub(started.elapsed()));
    for process in &mut processes {
        assert!(process.terminate().success());
    }
    let logs: Vec<Vec<Value>> = processes.iter().map(Process::events).collect();
    let runs = job_runs(&logs);
    let noop_runs: Vec<_> = runs.values().filter(|runs| runs.len() > 1).collect();
    assert!(noop_runs.is_empty(), "jobs that ran more than once: {noop_runs:?}");
    assert_eq!(runs.values().flatten().filter(|run| run.3 == "succeeded").count() as i64, JOBS);
    let workers: std::collections::HashSet<&str> =
        runs.values().flatten().map(|run| run.0.as_str()).collect();
    assert!(workers.len() >= 4, "the work was shared: {workers:?}");

    let mut ticks: Vec<i64> = logs
        .iter()
        .flatten()
        .filter(|event| message(event) == "scheduler tick")
        .map(|event| {
            event["timestamp"]
                .as_str()
                .unwrap()
                .parse::<jiff::Timestamp>()
                .unwrap()
                .as_millisecond()
        })
        .collect();
    ticks.sort();
    let elapsed_s = started.elapsed().as_secs() as i64;
    assert!(
        ticks.len() as i64 >= 2 && ticks.len() as i64 <= elapsed_s / interval_s + 1,
        "{} ticks in {elapsed_s} s: {ticks:?}",
        ticks.len()
    );
    for pair in ticks.windows(2) {
        assert!(
            pair[1] - pair[0] >= interval_s * 1000 - 100,
            "the scheduler fired twice within an interval: {ticks:?}"
        );
    }
    runtime.block_on(test.drop_database()).unwrap();
}

/// schemathesis (PyPI), when installed: `.ci/run` installs it, and CI fails
/// without it; elsewhere the test says it is skipped.
fn schemathesis() -> Option<&'static str> {
    let found =
        Command::new("st").arg("--version").output().is_ok_and(|output| output.status.success());
    if found {
        return Some("st");
    }
    #[expect(clippy::disallowed_methods, reason = "CI marks itself in the environment")]
    let in_ci = std::env::var_os("CI").is_some();
    assert!(!in_ci, "schemathesis is not installed; .ci/run installs it with pip");
    let _ = writeln!(
        std::io::stderr(),
        "vigil server tests: skipping schemathesis: `st` is not installed (pip install schemathesis)"
    );
    None
}

#[test]
fn schemathesis_finds_no_server_error_and_no_schema_mismatch() {
    let Some(st) = schemathesis() else { return };
    let data = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", data.path().join("vigil.db").display());
    let (secret, prefix) = vigil_server::auth::new_api_token();
    runtime().block_on(async {
        let store = vigil_store::Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let hash = vigil_server::auth::hash_password("correct horse battery").unwrap();
        let admin = store.create_user("admin", &hash, "admin", Queue::now_ms()).await.unwrap();
        let token_hash = vigil_server::auth::token_hash(&secret);
        store
            .create_token(admin.id, "fuzz", &token_hash, &prefix, "admin", Queue::now_ms(), None)
            .await
            .unwrap();
        store.close().await;
    });
    let (mut server, address) = start_server(&url, data.path());
    // Revoking its own token would leave the rest of the run unauthenticated;
    // the access tests cover that route.
    // schemathesis keeps a cache in its working directory: keep it out of the tree.
    let output = Command::new(st)
        .current_dir(data.path())
        .args(["run", &format!("http://{address}/api/v1/openapi.json")])
        .args(["-H", &format!("Authorization: Bearer {secret}")])
        .args(["--checks", "not_a_server_error,response_schema_conformance"])
        .args(["--max-time", "30", "--exclude-path", "/api/v1/tokens/{id}", "--no-color"])
        // These call the GitLab at a URL the fuzzer makes up: no traffic
        // off loopback from tests; their own tests cover them.
        .args(["--exclude-path", "/api/v1/instances/check"])
        .args(["--exclude-path", "/api/v1/instances/{id}/projects"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("passed"), "{report}");
    assert!(server.terminate().success());
}

#[test]
fn admin_create_and_key_rotation_from_the_command_line() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let vigil = |args: &[&str], stdin: &str| {
        let mut child = Command::new(binary())
            .args(args)
            .args(["--data-dir", dir])
            .env_remove("VIGIL_MASTER_KEY")
            .env_remove("VIGIL_ADMIN_PASSWORD")
            .env_remove("VIGIL_DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        (output.status.code().unwrap(), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    assert_eq!(vigil(&["db", "migrate"], "").0, 0);
    let (code, stderr) = vigil(&["admin", "create", "--username", "root"], "short\n");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("at least 12 characters"), "{stderr}");
    let (code, stderr) =
        vigil(&["admin", "create", "--username", "root"], "correct horse battery\n");
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = vigil(
        &["admin", "create", "--username", "root", "--role", "viewer"],
        "correct horse battery\n",
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("user `root` already exists"), "{stderr}");

    // A secret stored under the first key survives a rotation.
    let url = format!("sqlite://{}?mode=rwc", data.path().join("vigil.db").display());
    let key_file = data.path().join("master.key");
    let old_key = std::fs::read_to_string(&key_file).unwrap();
    runtime().block_on(async {
        let keyring = vigil_store::Keyring::load_or_create(&key_file).unwrap();
        let store = vigil_store::Store::connect(&url).await.unwrap().with_keyring(keyring);
        let instance = NewInstance {
            name: "gitlab".into(),
            base_url: "https://gitlab.example.com".into(),
            oauth_client_id: Some("app".into()),
            oauth_client_secret: Some(vigil_store::SecretString::new("gloas-rotate-me")),
            transporter_id: None,
            scan_interval_s: 3600,
            created_by: None,
        };
        store.create_instance(&instance, Queue::now_ms()).await.unwrap();
        store.close().await;
    });
    let (code, stderr) = vigil(&["key", "rotate"], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("re-encrypted 1 secrets"), "{stderr}");
    let new_key = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(old_key, new_key);
    let retired: Vec<_> = std::fs::read_dir(data.path())
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("master.key.retired-"))
        .collect();
    assert_eq!(retired.len(), 1);
    runtime().block_on(async {
        let keyring = vigil_store::Keyring::from_base64(&new_key, "new").unwrap();
        let store = vigil_store::Store::connect(&url).await.unwrap().with_keyring(keyring);
        let id = store.instances().await.unwrap()[0].id;
        assert_eq!(
            store.instance_secret(id, "oauth_secret_enc").await.unwrap().unwrap().expose(),
            "gloas-rotate-me"
        );
        store.close().await;
    });

    // A missing key file is not replaced by a new key while secrets need
    // the old one, and a wrong key is refused at start, naming both ids.
    let kept = data.path().join("master.key.kept");
    std::fs::rename(&key_file, &kept).unwrap();
    let (code, stderr) = vigil(&["db", "migrate"], "");
    assert_ne!(code, 0, "{stderr}");
    assert!(
        stderr
            .contains("master.key is missing, but the database holds 1 secrets encrypted with key"),
        "{stderr}"
    );
    assert!(!key_file.exists(), "a new key file was created");
    vigil_store::crypto::write_key_file(&key_file, &vigil_store::Keyring::generate_key()).unwrap();
    let (code, stderr) = vigil(&["db", "migrate"], "");
    assert_ne!(code, 0, "{stderr}");
    assert!(
        stderr
            .contains("the master key is not the one that encrypted the 1 secrets in the database"),
        "{stderr}"
    );
    std::fs::remove_file(&key_file).unwrap();
    std::fs::rename(&kept, &key_file).unwrap();
    assert_eq!(vigil(&["db", "migrate"], "").0, 0);
}
