//! The command line: every flag is defined once here, with the doc string that
//! becomes its `--help` text (and `docs/cli.md`). Parsing only; resolution of
//! flags against `vigil.toml` happens in `config`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Vigil finds exposed secrets, IaC misconfigurations, vulnerable dependencies
/// and license problems in source trees.
///
/// Exit codes: 0 nothing at or above the fail threshold, 1 findings at or above
/// it, 2 usage or runtime error (or nothing could be scanned).
#[derive(Debug, Parser)]
#[command(name = "vigil", version, propagate_version = true, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Scan a directory or file and report findings.
    Scan(Box<ScanArgs>),
    /// List the rules Vigil runs.
    Rules(RulesArgs),
    /// Run the server: web API, embedded worker pool and scheduler.
    Serve(ServeArgs),
    /// Run workers only, against the same database as the servers.
    Worker(WorkerArgs),
    /// Database administration.
    Db(DbArgs),
    /// User administration.
    Admin(AdminArgs),
    /// Master key administration (secrets at rest).
    Key(KeyArgs),
    /// Run the Transporter agent inside a closed network: one outbound
    /// WebSocket to Vigil carries its GitLab API calls in and GitLab's
    /// webhooks out.
    Transporter(Box<TransporterArgs>),
    /// The offline advisory store that dependency scans match against.
    Vulndb(VulndbArgs),
    /// Write a software bill of materials: every package of every lockfile
    /// under PATH (the formats `vigil scan` reads), with the dependencies
    /// between them.
    Sbom(SbomArgs),
    /// List the licenses of a directory's own files: every license file
    /// (LICENSE, COPYING, NOTICE, debian/copyright, ...) and the license
    /// fields of its manifests (Cargo.toml, package.json, pyproject.toml,
    /// setup.cfg, *.gemspec, composer.json, pom.xml), as SPDX expressions.
    Licenses(LicensesArgs),
    /// The package-metadata cache that operational-risk findings (SCA005)
    /// read: what npm, PyPI and crates.io say of each package.
    Metadata(MetadataArgs),
}

#[derive(Debug, Args)]
pub(crate) struct MetadataArgs {
    #[command(subcommand)]
    pub(crate) command: MetadataCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum MetadataCommand {
    /// Ask the registries about every package of the lockfiles under PATH
    /// that the cache does not hold from the last week, and cache the
    /// answers: releases and their dates, yanked and deprecated versions,
    /// maintainers, licenses (a crate version's from its download).
    /// Bounded: 20 s a request, 3 tries, a
    /// registry's Retry-After honoured (at most 60 s), a registry that
    /// leaves 10 requests in a row unanswered not asked again, redirects
    /// not followed.
    Fetch(MetadataFetchArgs),
}

#[derive(Debug, Args)]
pub(crate) struct MetadataFetchArgs {
    /// Directory to read lockfiles from (.gitignore is honoured).
    #[arg(default_value = ".")]
    pub(crate) path: PathBuf,
    /// npm registry (a mirror inside a closed network, say).
    #[arg(long, default_value = vigil_server::metadata::NPM_URL, value_name = "URL")]
    pub(crate) npm_url: String,
    /// PyPI's JSON API: URL/<name>/json.
    #[arg(long, default_value = vigil_server::metadata::PYPI_URL, value_name = "URL")]
    pub(crate) pypi_url: String,
    /// The crates.io sparse index.
    #[arg(long, default_value = vigil_server::metadata::CRATES_INDEX_URL, value_name = "URL")]
    pub(crate) crates_index_url: String,
    /// crates.io downloads: URL/<name>/<name>-<version>.crate. Only the
    /// first kilobytes of each pinned version are read, for the license
    /// in its Cargo.toml (the index gives none); each version is read once.
    #[arg(long, default_value = vigil_server::metadata::CRATES_DOWNLOAD_URL, value_name = "URL")]
    pub(crate) crates_download_url: String,
    /// Seconds one request may take.
    #[arg(long, default_value_t = 20, value_name = "SECONDS")]
    pub(crate) timeout: u64,
    /// Most packages asked for in one run.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub(crate) max_packages: usize,
    /// Seconds the whole run may take; packages not asked by then are named
    /// and asked at the next run.
    #[arg(long, default_value_t = 900, value_name = "SECONDS")]
    pub(crate) deadline: u64,
    #[command(flatten)]
    pub(crate) dir: VulndbDirArgs,
}

/// `vigil licenses` output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LicensesFormat {
    /// One line per file: path, score, expression.
    Table,
    /// A list of `{"path", "expression", "score"}` objects (expression
    /// null when none was found).
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct LicensesArgs {
    /// Directory to examine (.gitignore is honoured).
    #[arg(default_value = ".")]
    pub(crate) path: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = LicensesFormat::Table)]
    pub(crate) format: LicensesFormat,
}

/// SBOM formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SbomFormat {
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
}

#[derive(Debug, Args)]
pub(crate) struct SbomArgs {
    /// Directory to read lockfiles from (.gitignore is honoured).
    #[arg(default_value = ".")]
    pub(crate) path: PathBuf,
    /// Document format.
    #[arg(short, long, value_enum, default_value_t = SbomFormat::Cyclonedx)]
    pub(crate) format: SbomFormat,
    /// Write to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct VulndbArgs {
    #[command(subcommand)]
    pub(crate) command: VulndbCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum VulndbCommand {
    /// Import advisories into the store, on top of those already there (an
    /// advisory with the same id is replaced): directories of OSV JSON or
    /// YAML files, osv.dev's per-ecosystem `all.zip` archives, and RustSec's
    /// advisory-db (`crates/<name>/RUSTSEC-*.md`). The store is replaced
    /// only once the new one is complete.
    Import(VulndbImportArgs),
    /// Download osv.dev's per-ecosystem archives (BASE/<Ecosystem>/all.zip)
    /// and rebuild the store from them. Only changed archives are
    /// downloaded (ETag, Last-Modified); the last good archive of each
    /// ecosystem is kept under DATA_DIR/vulndb/archives, so an archive that
    /// fails to download (404, 500, not a zip, too slow) leaves that
    /// ecosystem's advisories as they were. Exit 2 when any archive failed.
    Sync(VulndbSyncArgs),
    /// Show what the store holds.
    Status(VulndbDirArgs),
}

#[derive(Debug, Args)]
pub(crate) struct VulndbSyncArgs {
    /// Where the archives are: BASE/<Ecosystem>/all.zip (osv.dev's bucket,
    /// or a mirror inside a closed network).
    #[arg(
        long,
        env = "VIGIL_VULNDB_URL",
        hide_env_values = true,
        default_value = vigil_server::vulndb::DEFAULT_URL,
        value_name = "BASE"
    )]
    pub(crate) url: String,
    /// Ecosystems to download, as OSV names them. Comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "crates.io,npm,PyPI,Go,Maven,NuGet,Packagist,RubyGems,Hex,Pub,SwiftURL,ConanCenter"
    )]
    pub(crate) ecosystems: Vec<String>,
    /// Seconds one archive may take to download.
    #[arg(long, default_value_t = 600, value_name = "SECONDS")]
    pub(crate) timeout: u64,
    #[command(flatten)]
    pub(crate) dir: VulndbDirArgs,
}

#[derive(Debug, Args)]
pub(crate) struct VulndbImportArgs {
    /// Directories, archives or files to import.
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) dir: VulndbDirArgs,
}

#[derive(Debug, Args)]
pub(crate) struct VulndbDirArgs {
    /// Data directory: the advisory store is DIR/vulndb/advisories.jsonl,
    /// the package-metadata cache DIR/metadata/ (the same directory `vigil
    /// serve` uses).
    #[arg(long, env = "VIGIL_DATA_DIR", hide_env_values = true, default_value = "vigil-data")]
    pub(crate) data_dir: PathBuf,
}

/// The Transporter agent.
#[derive(Debug, Args)]
pub(crate) struct TransporterArgs {
    /// The hub: Vigil's public URL with wss:// and the path /transporter.
    #[arg(long, env = "VIGIL_TRANSPORTER_HUB", hide_env_values = true, value_name = "URL")]
    pub(crate) hub: String,
    /// File holding the agent's credential (written at enrolment, mode 0600).
    #[arg(
        long,
        env = "VIGIL_TRANSPORTER_CREDENTIALS",
        hide_env_values = true,
        value_name = "FILE"
    )]
    pub(crate) credentials: PathBuf,
    /// One-time enrolment token from Vigil; traded for a credential when the
    /// credentials file does not exist yet.
    #[arg(
        long,
        env = "VIGIL_TRANSPORTER_ENROLMENT_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub(crate) enrolment_token: Option<String>,
    /// GitLab's base URL inside the network (the only origin requests go to).
    #[arg(long, env = "VIGIL_TRANSPORTER_GITLAB", hide_env_values = true, value_name = "URL")]
    pub(crate) gitlab: String,
    /// More trusted CA certificates (PEM), for the hub, the proxy and GitLab.
    #[arg(long, env = "VIGIL_TRANSPORTER_CA_FILE", hide_env_values = true, value_name = "FILE")]
    pub(crate) ca_file: Option<PathBuf>,
    /// Reach the hub through this HTTPS proxy (CONNECT), like
    /// http://user:password@proxy:3128.
    #[arg(long, env = "VIGIL_TRANSPORTER_PROXY", hide_env_values = true, value_name = "URL")]
    pub(crate) proxy: Option<String>,
    /// Allow ws:// (no TLS) to a hub that is not on loopback: the
    /// credential and every GitLab call cross the network in clear text.
    #[arg(long, env = "VIGIL_TRANSPORTER_INSECURE_HUB", hide_env_values = true)]
    pub(crate) insecure_hub: bool,
    /// Client certificate (PEM) for a TLS front that asks for one.
    #[arg(long, requires = "client_key", value_name = "FILE")]
    pub(crate) client_cert: Option<PathBuf>,
    /// Key of --client-cert (PEM).
    #[arg(long, requires = "client_cert", value_name = "FILE")]
    pub(crate) client_key: Option<PathBuf>,
    /// Address of the webhook listener GitLab posts hooks to (also serves
    /// /healthz).
    #[arg(
        long,
        env = "VIGIL_TRANSPORTER_WEBHOOK_LISTEN",
        hide_env_values = true,
        value_name = "ADDR"
    )]
    pub(crate) webhook_listen: Option<std::net::SocketAddr>,
    /// The URL GitLab reaches the webhook listener at (Vigil points its
    /// hooks there); default https://WEBHOOK_LISTEN (http:// without TLS).
    #[arg(long, env = "VIGIL_TRANSPORTER_WEBHOOK_URL", hide_env_values = true, value_name = "URL")]
    pub(crate) webhook_url: Option<String>,
    /// TLS certificate (PEM) of the webhook listener.
    #[arg(long, requires = "tls_key", value_name = "FILE")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// Key of --tls-cert (PEM).
    #[arg(long, requires = "tls_cert", value_name = "FILE")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Seconds between pings to the hub; three unanswered pings reconnect.
    #[arg(long, default_value_t = 10)]
    pub(crate) ping_interval: u64,
    /// Threads moving bytes. One avoids waking threads for every chunk and
    /// was fastest on a 2-core machine (docs/BENCHMARKS.md); more help when
    /// many large transfers with TLS to GitLab run at once on a bigger host.
    #[arg(long, env = "VIGIL_TRANSPORTER_THREADS", hide_env_values = true, default_value_t = 1)]
    pub(crate) threads: usize,
    /// Log format on stderr.
    #[arg(long, value_enum, env = "VIGIL_LOG_FORMAT", hide_env_values = true, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
}

/// Where the server keeps its state; shared by every server subcommand.
#[derive(Debug, Clone, Args)]
pub(crate) struct StoreArgs {
    /// Data directory: the SQLite database and the master key file live here.
    #[arg(long, env = "VIGIL_DATA_DIR", hide_env_values = true, default_value = "vigil-data")]
    pub(crate) data_dir: PathBuf,
    /// Database URL: postgres://… for many processes; default
    /// sqlite://DATA_DIR/vigil.db.
    #[arg(long, env = "VIGIL_DATABASE_URL", hide_env_values = true)]
    pub(crate) database_url: Option<String>,
    /// Log format on stderr.
    #[arg(long, value_enum, env = "VIGIL_LOG_FORMAT", hide_env_values = true, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
}

/// Log formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    #[command(flatten)]
    pub(crate) limits: crate::limits::JobLimitsArgs,
    /// Address to listen on.
    #[arg(long, env = "VIGIL_LISTEN", hide_env_values = true, default_value = "127.0.0.1:8080")]
    pub(crate) listen: String,
    /// Embedded workers; 0 runs none (same as --no-worker).
    #[arg(long, env = "VIGIL_WORKERS", hide_env_values = true, default_value_t = 2)]
    pub(crate) workers: usize,
    /// Run no embedded workers (run `vigil worker` processes instead).
    #[arg(long)]
    pub(crate) no_worker: bool,
    /// Seconds between scheduler ticks (periodic scans, suppression expiry).
    #[arg(long, default_value_t = 10)]
    pub(crate) scheduler_tick: u64,
    /// Seconds between syncs that discover new projects on instances whose
    /// selection is "all existing and future" (at least 60; a GitLab system
    /// hook for project_create triggers one sooner).
    #[arg(long, default_value_t = 3600)]
    pub(crate) discovery_interval: u64,
    /// Hours between advisory syncs: the archives of BASE (`--vulndb-url`)
    /// that changed are downloaded into DATA_DIR/vulndb, then every
    /// repository's dependency graph from its last scan is matched against
    /// the store, so new advisories become issues without a rescan. The
    /// first runs at start. 0: never (advisories change only by `vigil
    /// vulndb import` and are matched at the next scan).
    #[arg(
        long,
        env = "VIGIL_VULNDB_SYNC_HOURS",
        hide_env_values = true,
        default_value_t = 24,
        value_name = "HOURS"
    )]
    pub(crate) vulndb_sync_hours: u64,
    /// Where the advisory archives are: BASE/<Ecosystem>/all.zip (osv.dev's
    /// bucket, or a mirror inside a closed network). `none`: download
    /// nothing, only match the graphs against what `vigil vulndb import`
    /// put in the store.
    #[arg(
        long,
        env = "VIGIL_VULNDB_URL",
        hide_env_values = true,
        default_value = vigil_server::vulndb::DEFAULT_URL,
        value_name = "BASE"
    )]
    pub(crate) vulndb_url: String,
    /// With the advisory job, ask npm, PyPI and the crates.io index about
    /// the packages of the kept dependency graphs (DATA_DIR/metadata/), for
    /// operational-risk findings and dependency licenses. `false` where
    /// those registries cannot be reached (a closed network): then fill the
    /// cache with `vigil metadata fetch` from a mirror, or go without.
    #[arg(
        long,
        env = "VIGIL_REGISTRY_METADATA",
        hide_env_values = true,
        default_value_t = true,
        action = clap::ArgAction::Set,
        value_name = "BOOL"
    )]
    pub(crate) registry_metadata: bool,
    /// The URL GitLab reaches this server at; webhooks Vigil installs in
    /// GitLab point to PUBLIC_URL/hooks/gitlab/INSTANCE.
    #[arg(long, env = "VIGIL_PUBLIC_URL", hide_env_values = true)]
    pub(crate) public_url: Option<String>,
    /// Mark the session cookie Secure even when --public-url is not https:// (it always is when it is).
    #[arg(long, env = "VIGIL_SECURE_COOKIES", hide_env_values = true)]
    pub(crate) secure_cookies: bool,
    /// Address of the Transporter hub's forward endpoint: every Vigil
    /// process sends the GitLab requests of instances behind a transporter
    /// to the endpoint of the server that holds the transporter's link
    /// (port 0: any free port). Keep it on loopback for one server; give
    /// an address the other servers and workers reach (and
    /// --transporter-forward-url) when there are several hosts.
    #[arg(
        long,
        env = "VIGIL_TRANSPORTER_FORWARD",
        hide_env_values = true,
        default_value = "127.0.0.1:0"
    )]
    pub(crate) transporter_forward: String,
    /// The URL other Vigil processes reach this forward endpoint at
    /// (default: http://ADDRESS it listens on; needed when that is
    /// 0.0.0.0 or [::]).
    #[arg(long, env = "VIGIL_TRANSPORTER_FORWARD_URL", hide_env_values = true, value_name = "URL")]
    pub(crate) transporter_forward_url: Option<String>,
    /// Key callers of the forward endpoint must send (x-vigil-forward-key);
    /// by default derived from the master key, so every process with that
    /// key agrees without another setting.
    #[arg(long, env = "VIGIL_TRANSPORTER_FORWARD_KEY", hide_env_values = true, value_name = "KEY")]
    pub(crate) transporter_forward_key: Option<String>,
    /// Seconds a Transporter enrolment token stays valid after it was
    /// issued (at least 60); an agent enrolling later is refused and needs
    /// a new token.
    #[arg(
        long,
        env = "VIGIL_TRANSPORTER_ENROLMENT_TTL",
        hide_env_values = true,
        default_value_t = 86_400,
        value_parser = clap::value_parser!(u32).range(60..),
        value_name = "SECONDS"
    )]
    pub(crate) transporter_enrolment_ttl: u32,
}

#[derive(Debug, Args)]
pub(crate) struct WorkerArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    #[command(flatten)]
    pub(crate) limits: crate::limits::JobLimitsArgs,
    /// Concurrent jobs in this process.
    #[arg(long, env = "VIGIL_WORKERS", hide_env_values = true, default_value_t = 2)]
    pub(crate) workers: usize,
    /// Job lease in seconds; a job whose worker stops heartbeating runs
    /// again after it.
    #[arg(long, default_value_t = 60)]
    pub(crate) lease: u64,
    /// The URL GitLab reaches the servers at (for the hooks repository
    /// syncs install).
    #[arg(long, env = "VIGIL_PUBLIC_URL", hide_env_values = true)]
    pub(crate) public_url: Option<String>,
    /// Longest idle wait between claim attempts, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub(crate) poll_ms: u64,
    /// Jobs each worker claims at once. 1 (the default) suits scans; a
    /// larger batch saves database round trips on many short jobs, at the
    /// cost of claimed jobs waiting their turn (under the worker's lease).
    #[arg(long, default_value_t = 1)]
    pub(crate) claim_batch: usize,
    /// The key of the servers' Transporter forward endpoints, when they
    /// were given one (--transporter-forward-key); by default it is
    /// derived from the master key like theirs. Jobs of instances behind a
    /// transporter go to the server that holds its link.
    #[arg(long, env = "VIGIL_TRANSPORTER_FORWARD_KEY", hide_env_values = true, value_name = "KEY")]
    pub(crate) transporter_forward_key: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct DbArgs {
    #[command(subcommand)]
    pub(crate) command: DbCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DbCommand {
    /// Apply the migrations not applied yet (servers also do this at start).
    Migrate(StoreArgs),
}

#[derive(Debug, Args)]
pub(crate) struct AdminArgs {
    #[command(subcommand)]
    pub(crate) command: AdminCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// Create a user. The password is read from VIGIL_ADMIN_PASSWORD or,
    /// when unset, from the first line of standard input.
    Create(AdminCreateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct AdminCreateArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Sign-in name.
    #[arg(long)]
    pub(crate) username: String,
    /// Role: admin, member or viewer.
    #[arg(long, default_value = "admin")]
    pub(crate) role: String,
}

#[derive(Debug, Args)]
pub(crate) struct KeyArgs {
    #[command(subcommand)]
    pub(crate) command: KeyCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Re-encrypt every stored secret with a new master key. With a key
    /// file, a new file replaces it (the old one is kept as
    /// master.key.retired-TIMESTAMP); with VIGIL_MASTER_KEY, the new key is
    /// read from VIGIL_NEW_MASTER_KEY and must then replace the old one in
    /// the environment.
    Rotate(StoreArgs),
}

/// Report formats of `vigil scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Human-readable table (colour on a terminal).
    Table,
    /// Vigil's stable JSON report (docs/json-report.md).
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// GitLab security reports, one file per report type, written into the
    /// --output directory (default: the current directory).
    Gitlab,
    /// JUnit XML.
    Junit,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// Directory or file to scan.
    #[arg(default_value = ".")]
    pub(crate) path: PathBuf,

    /// Report format.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,

    /// Write the report to FILE instead of standard output (for --format gitlab:
    /// the directory to write the report files into).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,

    /// Fail (exit 1) when a finding has this severity or higher: critical, high,
    /// medium, low, info, or `never`. Default: low, or the config file's
    /// `policy.fail_on`.
    #[arg(long, value_name = "SEVERITY")]
    pub(crate) fail_on: Option<String>,

    /// Report but never fail on these: severities (that severity and below),
    /// finding kinds, or rule ids. Comma-separated; repeatable.
    #[arg(long, value_name = "SEVERITY|KIND|RULE", value_delimiter = ',')]
    pub(crate) soft_fail_on: Vec<String>,

    /// Run only the engines for these finding kinds: secret, iac,
    /// vulnerability, license, operational_risk. Comma-separated.
    #[arg(long, value_name = "KIND", value_delimiter = ',')]
    pub(crate) only: Vec<String>,

    /// Do not report these rule ids. Comma-separated; repeatable.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub(crate) skip_rule: Vec<String>,

    /// Read settings from this file instead of `vigil.toml` in the scanned
    /// directory.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,

    /// Import custom rules and allowlists from this gitleaks configuration
    /// (default: `.gitleaks.toml` in the scanned directory, if present).
    /// Unsupported gitleaks fields are errors naming the field.
    #[arg(long, value_name = "FILE")]
    pub(crate) gitleaks_config: Option<PathBuf>,

    /// Also run the Checkov YAML policies (`*.yaml`, `*.yml`) in this
    /// directory, unchanged, beside the built-in IaC policies (default:
    /// `[iac] policies` of `vigil.toml`). A policy Vigil cannot run (an
    /// unsupported operator) is an error naming the file, line and operator.
    #[arg(long, value_name = "DIR")]
    pub(crate) iac_policies: Option<PathBuf>,

    /// Report only findings whose fingerprints are not in this baseline file
    /// (default: `.vigil-baseline.json` in the scanned directory, if present).
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,

    /// Record the fingerprints of this scan's findings into FILE, to be used
    /// later with --baseline.
    #[arg(long, value_name = "FILE")]
    pub(crate) write_baseline: Option<PathBuf>,

    /// Skip paths matching this gitignore-style glob (repeatable), in addition
    /// to .gitignore, .vigilignore and the config file's `scan.exclude`.
    #[arg(long, value_name = "GLOB")]
    pub(crate) exclude: Vec<String>,

    /// Skip files larger than this (e.g. 500kB, 10MB, 1GB). Default: 10MB.
    #[arg(long, value_name = "SIZE")]
    pub(crate) max_file_size: Option<String>,

    /// Scan files that .gitignore would skip (.vigilignore still applies).
    #[arg(long)]
    pub(crate) no_gitignore: bool,

    /// Worker threads (default: the number of CPUs).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) threads: usize,

    /// The commit being scanned, recorded in reports (GitLab needs it).
    #[arg(long, value_name = "SHA", env = "CI_COMMIT_SHA")]
    pub(crate) commit: Option<String>,

    /// Scan git history instead of the files on disk: every blob reachable
    /// from any branch or tag, once, reporting the commit, author and date
    /// that introduced each secret and whether it is deleted at every tip.
    /// PATH must be inside a git repository. Secrets only.
    #[arg(long)]
    pub(crate) history: bool,

    /// Data directory holding the advisory store that dependencies are
    /// matched against (DIR/vulndb/advisories.jsonl, filled by `vigil vulndb
    /// import`; the same directory `vigil serve` uses). Without a store,
    /// dependencies are not checked and the scan says so; with `--only
    /// vulnerability` that is an error. Its package-metadata cache
    /// (DIR/metadata/, filled by `vigil metadata fetch`) gives the
    /// operational-risk findings (SCA005).
    #[arg(long, env = "VIGIL_DATA_DIR", hide_env_values = true, default_value = "vigil-data")]
    pub(crate) data_dir: PathBuf,

    /// Walk and read every file but run no engine: measures the I/O floor.
    #[arg(long)]
    pub(crate) walk_only: bool,

    /// Print nothing on standard error but errors.
    #[arg(short, long)]
    pub(crate) quiet: bool,

    /// Also list skipped files (notes) on standard error.
    #[arg(short, long)]
    pub(crate) verbose: bool,

    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,
}

#[derive(Debug, Args)]
pub(crate) struct RulesArgs {
    /// Output format: table or json.
    #[arg(short, long, value_enum, default_value_t = RulesFormat::Table)]
    pub(crate) format: RulesFormat,
}

/// Formats of `vigil rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RulesFormat {
    /// One rule per line.
    Table,
    /// JSON array of rule metadata.
    Json,
}
