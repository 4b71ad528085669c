//! The server subcommands: `serve` (API + embedded workers + scheduler),
//! `worker`, `db migrate`, `admin create` and `key rotate`. This module
//! resolves flags and environment into the settings of `vigil-store` and
//! `vigil-server`; everything else is theirs.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use vigil_server::jobs::JobRunner;
use vigil_server::scheduler::{Scheduler, SchedulerSettings, VulndbSchedule};
use vigil_server::source::GitLabSource;
use vigil_server::vulndb::{SyncOptions, VulndbJob};
use vigil_server::worker::{WorkerPool, WorkerSettings};
use vigil_server::{AppState, ServerSettings};
use vigil_store::crypto::{self, KEY_FILE, NEXT_KEY_FILE};
use vigil_store::{Keyring, Queue, Store};

use crate::ExitCode;
use crate::cli::{
    AdminCommand, DbCommand, KeyCommand, LogFormat, ServeArgs, StoreArgs, WorkerArgs,
};

#[expect(clippy::disallowed_methods, reason = "the binary is where the environment is read")]
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

pub(crate) fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VIGIL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only on a terminal: log files and collectors get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    match format {
        // JSON escapes control characters itself.
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.fmt_fields(escaped_fields()).init(),
    }
}

/// Text log fields with control characters escaped: a name from a hostile
/// archive or webhook (`a\nINFO forged`) cannot start a line of its own.
fn escaped_fields() -> impl for<'writer> tracing_subscriber::fmt::FormatFields<'writer> {
    use tracing_subscriber::field::MakeExt as _;
    tracing_subscriber::fmt::format::debug_fn(|writer, field, value| {
        let text = vigil_gitlab::printable(&format!("{value:?}"));
        if field.name() == "message" {
            write!(writer, "{text}")
        } else {
            write!(writer, "{field}={text}")
        }
    })
    .delimited(" ")
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Opens and migrates the store of `args`, with the master keys loaded.
async fn open_store(args: &StoreArgs) -> Result<Store> {
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create the data directory {}", args.data_dir.display()))?;
    // Scans match dependencies against the advisory store of this data
    // directory (opened at the first scan that meets a lockfile).
    vigil_pipeline::registry::use_data_dir(&args.data_dir);
    let url = match &args.database_url {
        Some(url) => url.clone(),
        None => format!("sqlite://{}?mode=rwc", args.data_dir.join("vigil.db").display()),
    };
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    // Every key that sealed a stored secret must be loaded, checked now:
    // found later, a wrong key answers webhooks 500 (GitLab does not
    // retry them) and fails every scan.
    let sealed = store.secret_key_ids().await?;
    let keyring = load_keyring(&args.data_dir, &sealed)?;
    let missing: Vec<&str> =
        sealed.keys().map(String::as_str).filter(|id| !keyring.holds(id)).collect();
    if !missing.is_empty() {
        let stored: u64 = sealed.values().sum();
        let source = if env("VIGIL_MASTER_KEY").is_some() {
            "VIGIL_MASTER_KEY".to_owned()
        } else {
            args.data_dir.join(KEY_FILE).display().to_string()
        };
        bail!(
            "the master key is not the one that encrypted the {stored} secrets in the database: they need key {}, {source} holds {}. \
             Start with the original key (restore master.key from your backup, or set VIGIL_MASTER_KEY to it); \
             to move to a new key, run `vigil key rotate` with both",
            missing.join(", "),
            keyring.key_ids().join(", ")
        );
    }
    Ok(store.with_keyring(keyring))
}

/// The keyring: `VIGIL_MASTER_KEY` (with `VIGIL_NEW_MASTER_KEY` during a
/// rotation), else the data directory's key files. A missing `master.key`
/// is created only when no stored secret needs an existing key.
fn load_keyring(data_dir: &Path, sealed: &BTreeMap<String, u64>) -> Result<Keyring> {
    match env("VIGIL_MASTER_KEY") {
        Some(key) => {
            let mut keyring = Keyring::from_base64(&key, "VIGIL_MASTER_KEY")?;
            if let Some(next) = env("VIGIL_NEW_MASTER_KEY") {
                keyring =
                    Keyring::from_base64(&next, "VIGIL_NEW_MASTER_KEY")?.with_decrypt_keys(keyring);
            }
            Ok(keyring)
        }
        None => {
            let path = data_dir.join(KEY_FILE);
            if !path.exists() && !sealed.is_empty() {
                let stored: u64 = sealed.values().sum();
                let ids: Vec<&str> = sealed.keys().map(String::as_str).collect();
                bail!(
                    "{} is missing, but the database holds {stored} secrets encrypted with key {}. \
                     Restore master.key from your backup (or set VIGIL_MASTER_KEY); \
                     Vigil did not create a new key, which could never decrypt them",
                    path.display(),
                    ids.join(", ")
                );
            }
            Ok(crypto::load_data_dir_keyring(data_dir)?)
        }
    }
}

pub(crate) async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down: no new requests or jobs; running jobs get 30 s to finish");
}

/// Creates the first admin from VIGIL_ADMIN_USERNAME / VIGIL_ADMIN_PASSWORD
/// when the database has no user yet.
async fn bootstrap_admin(store: &Store) -> Result<()> {
    if !store.users().await?.is_empty() {
        return Ok(());
    }
    match (env("VIGIL_ADMIN_USERNAME"), env("VIGIL_ADMIN_PASSWORD")) {
        (Some(username), Some(password)) => {
            create_user(store, &username, &password, "admin").await?;
            tracing::info!(%username, "created the first admin from VIGIL_ADMIN_USERNAME");
        }
        _ => tracing::warn!(
            "no user exists yet: run `vigil admin create --username NAME`, or set VIGIL_ADMIN_USERNAME and VIGIL_ADMIN_PASSWORD before starting"
        ),
    }
    Ok(())
}

async fn create_user(store: &Store, username: &str, password: &str, role: &str) -> Result<()> {
    vigil_server::auth::check_password_strength(password).map_err(|_| {
        anyhow::anyhow!(
            "the password needs at least {} characters",
            vigil_server::auth::MIN_PASSWORD_LEN
        )
    })?;
    if vigil_server::auth::Permission::of_role(role).is_none() {
        bail!("unknown role `{role}` (expected one of: admin, member, viewer)");
    }
    let hash = vigil_server::auth::hash_password(password)
        .map_err(|_| anyhow::anyhow!("cannot hash the password"))?;
    store.create_user(username, &hash, role, Queue::now_ms()).await?;
    store.audit("cli", "user.create", &format!("user:{username}"), role, Queue::now_ms()).await?;
    Ok(())
}

fn worker_name(kind: &str) -> String {
    let host = env("HOSTNAME").unwrap_or_else(|| "host".to_owned());
    format!("{kind}-{host}-{}", std::process::id())
}

/// The advisory job every `--vulndb-sync-hours` (none when 0): a sync
/// from `--vulndb-url` (none when `none`), the registries' metadata (unless
/// `--registry-metadata false`), then a re-match of the graphs.
fn vulndb_schedule(args: &ServeArgs) -> Option<VulndbSchedule> {
    const HOUR_MS: i64 = 3_600_000;
    let hours = i64::try_from(args.vulndb_sync_hours).unwrap_or(i64::MAX / HOUR_MS);
    let sync = (args.vulndb_url != "none")
        .then(|| SyncOptions { url: args.vulndb_url.clone(), ..SyncOptions::default() });
    (hours > 0).then(|| VulndbSchedule {
        interval_ms: hours.saturating_mul(HOUR_MS),
        job: VulndbJob {
            sync,
            metadata: args.registry_metadata.then(vigil_server::vulndb::MetadataSources::default),
        },
    })
}

pub(crate) fn serve(args: &ServeArgs) -> Result<ExitCode> {
    init_logging(args.store.log_format);
    runtime()?.block_on(async {
        let store = open_store(&args.store).await?;
        bootstrap_admin(&store).await?;
        let settings = ServerSettings {
            secure_cookies: args.secure_cookies,
            public_url: args.public_url.clone(),
            transporter_enrolment_ttl_ms: i64::from(args.transporter_enrolment_ttl) * 1000,
            ..ServerSettings::default()
        };
        let state = AppState::new(store.clone(), settings);
        start_transporter_forward(&state, args).await?;
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let address = listener.local_addr().context("cannot read the listening address")?;
        let workers = if args.no_worker { 0 } else { args.workers };
        let pool = if workers > 0 {
            let runner = JobRunner::new(store.clone(), Arc::new(GitLabSource::new(store.clone(), args.limits.archive())))
                .with_public_url(args.public_url.clone())
                .with_max_run(args.limits.max_run())
                .with_data_dir(args.store.data_dir.clone());
            let settings = WorkerSettings { workers, name: worker_name("serve"), ..WorkerSettings::default() };
            Some(WorkerPool::start(store.clone(), runner, settings, Arc::clone(&state.job_wakeup), Arc::clone(&state.metrics)).await)
        } else {
            None
        };
        let scheduler = Scheduler::start(
            store.clone(),
            SchedulerSettings {
                tick: Duration::from_secs(args.scheduler_tick.max(1)),
                holder: worker_name("server"),
                discovery_interval_ms: i64::try_from(args.discovery_interval.max(60))
                    .unwrap_or(i64::MAX / 1000)
                    * 1000,
                vulndb: vulndb_schedule(args),
            },
        );
        tracing::info!(%address, backend = ?store.backend(), workers, "vigil is listening; API reference at /api/docs");
        let app = vigil_server::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("the HTTP server failed")?;
        scheduler.shutdown().await;
        if let Some(pool) = pool {
            let released = pool.shutdown().await;
            tracing::info!(released, "workers stopped");
        }
        store.close().await;
        Ok(ExitCode::Clean)
    })
}

/// Starts the hub's forward endpoint and tells this process's GitLab
/// clients its URL and key. The key is `--transporter-forward-key`, or
/// derived from the master key so that every process agrees on it.
async fn start_transporter_forward(state: &AppState, args: &ServeArgs) -> Result<()> {
    let address = &args.transporter_forward;
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address} (--transporter-forward)"))?;
    let bound = listener.local_addr().context("cannot read the forward address")?;
    let url = match &args.transporter_forward_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            anyhow::ensure!(
                !bound.ip().is_unspecified(),
                "--transporter-forward {bound} listens on every address: give --transporter-forward-url, the URL other Vigil processes reach it at"
            );
            format!("http://{bound}")
        }
    };
    let key = args
        .transporter_forward_key
        .clone()
        .filter(|key| !key.is_empty())
        .or_else(|| state.store.derived_secret(vigil_server::FORWARD_KEY_LABEL))
        .unwrap_or_else(vigil_server::auth::random_token);
    vigil_server::set_transporter_forward(url.clone(), key.clone());
    let router = vigil_transporter::hub::forward_router(state.hub.clone(), key);
    tokio::spawn(async move {
        use axum::serve::ListenerExt as _;
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "the Transporter forward endpoint stopped");
        }
    });
    tracing::info!(%bound, %url, "Transporter forward endpoint ready");
    Ok(())
}

pub(crate) fn worker(args: &WorkerArgs) -> Result<ExitCode> {
    init_logging(args.store.log_format);
    runtime()?.block_on(async {
        let store = open_store(&args.store).await?;
        let runner = JobRunner::new(
            store.clone(),
            Arc::new(GitLabSource::new(store.clone(), args.limits.archive())),
        )
        .with_public_url(args.public_url.clone())
        .with_max_run(args.limits.max_run())
        .with_data_dir(args.store.data_dir.clone());
        let settings = WorkerSettings {
            workers: args.workers.max(1),
            lease_ms: i64::try_from(args.lease.max(1)).unwrap_or(60) * 1000,
            poll_ms: args.poll_ms.max(10),
            claim_batch: args.claim_batch.clamp(1, 1000),
            name: worker_name("worker"),
            ..WorkerSettings::default()
        };
        if let Some(key) = args.transporter_forward_key.clone().filter(|key| !key.is_empty()) {
            vigil_server::set_transporter_forward_key(key);
        }
        tracing::info!(workers = settings.workers, backend = ?store.backend(), "worker started");
        let metrics = Arc::new(vigil_server::Metrics::default());
        let pool = WorkerPool::start(
            store.clone(),
            runner,
            settings,
            Arc::new(tokio::sync::Notify::new()),
            Arc::clone(&metrics),
        )
        .await;
        shutdown_signal().await;
        let released = pool.shutdown().await;
        match metrics.claim_summary() {
            Some((p50, p99, claims)) => {
                tracing::info!(
                    released,
                    claims,
                    claim_p50_ms = p50,
                    claim_p99_ms = p99,
                    "worker stopped"
                );
            }
            None => tracing::info!(released, claims = 0, "worker stopped"),
        }
        store.close().await;
        Ok(ExitCode::Clean)
    })
}

pub(crate) fn db(command: &DbCommand) -> Result<ExitCode> {
    let DbCommand::Migrate(args) = command;
    runtime()?.block_on(async {
        let store = open_store(args).await?;
        store.close().await;
        anstream::eprintln!("database is up to date ({:?})", store.backend());
        Ok(ExitCode::Clean)
    })
}

pub(crate) fn admin(command: &AdminCommand) -> Result<ExitCode> {
    let AdminCommand::Create(args) = command;
    let password = match env("VIGIL_ADMIN_PASSWORD") {
        Some(password) => password,
        None => {
            anstream::eprint!("password for {}: ", args.username);
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    runtime()?.block_on(async {
        let store = open_store(&args.store).await?;
        create_user(&store, &args.username, &password, &args.role).await?;
        store.close().await;
        anstream::eprintln!("created {} ({})", args.username, args.role);
        Ok(ExitCode::Clean)
    })
}

pub(crate) fn key(command: &KeyCommand) -> Result<ExitCode> {
    let KeyCommand::Rotate(args) = command;
    runtime()?.block_on(async {
        let from_env = env("VIGIL_MASTER_KEY").is_some();
        if from_env && env("VIGIL_NEW_MASTER_KEY").is_none() {
            bail!("the master key comes from VIGIL_MASTER_KEY: put the new key in VIGIL_NEW_MASTER_KEY (openssl rand -base64 32) and run again");
        }
        let next_path = args.data_dir.join(NEXT_KEY_FILE);
        if !from_env && !next_path.exists() {
            std::fs::create_dir_all(&args.data_dir)?;
            crypto::write_key_file(&next_path, &Keyring::generate_key())
                .with_context(|| format!("cannot write {}", next_path.display()))?;
        }
        // The keyring now encrypts with the new key and still decrypts with
        // the old one; a crash from here on leaves both files, and the next
        // start (or run) loads both.
        let store = open_store(args).await?;
        let rewritten = store.reencrypt_secrets().await?;
        store.close().await;
        if !from_env {
            let key_path = args.data_dir.join(KEY_FILE);
            let retired = args.data_dir.join(format!("{KEY_FILE}.retired-{}", Queue::now_ms()));
            std::fs::rename(&key_path, &retired).with_context(|| format!("cannot retire {}", key_path.display()))?;
            std::fs::rename(&next_path, &key_path).with_context(|| format!("cannot install {}", key_path.display()))?;
            anstream::eprintln!(
                "re-encrypted {rewritten} secrets; the old key is kept as {} until you delete it",
                retired.display()
            );
        } else {
            anstream::eprintln!("re-encrypted {rewritten} secrets; now replace VIGIL_MASTER_KEY with VIGIL_NEW_MASTER_KEY");
        }
        Ok(ExitCode::Clean)
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    /// A name with a newline stays on its log line.
    #[test]
    fn control_characters_in_log_fields_are_escaped() {
        #[derive(Clone, Default)]
        struct Lines(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Lines {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .fmt_fields(super::escaped_fields())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let entry = "src/a\nERROR forged line";
            tracing::warn!(entry = %entry, "archive entry\rskipped");
        });
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.contains(r"archive entry\rskipped entry=src/a\nERROR forged line"), "{text}");
    }
}
