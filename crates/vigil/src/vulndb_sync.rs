//! `vigil vulndb sync`: downloads osv.dev's per-ecosystem archives
//! (`BASE/<Ecosystem>/all.zip`) with `If-None-Match` / `If-Modified-Since`,
//! keeps the last good archive of each ecosystem under
//! `DATA_DIR/vulndb/archives/`, and rebuilds the store from them when one
//! changed. An archive that fails (404, 500, garbage, too slow, too big) is
//! a warning naming it; its previous copy, and so the previous advisories
//! of that ecosystem, stay in use. The store is replaced by rename only
//! once complete (`vigil_sca::store::Store::write`).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use vigil_sca::store::{Importer, SourceState, Store, StoreError};

use crate::ExitCode;
use crate::cli::VulndbSyncArgs;

/// Largest archive downloaded (osv.dev's largest, npm, is a few hundred MB).
const MAX_ARCHIVE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// What happened to one archive.
enum Fetched {
    /// A new archive is in place.
    New(SourceState),
    /// The server said it has not changed.
    Unchanged,
}

pub(crate) fn sync(args: &VulndbSyncArgs) -> Result<ExitCode> {
    let runtime = crate::server::runtime()?;
    runtime.block_on(run(args))
}

async fn run(args: &VulndbSyncArgs) -> Result<ExitCode> {
    let data_dir = &args.dir.data_dir;
    let archives = data_dir.join(vigil_sca::store::STORE_DIR).join("archives");
    std::fs::create_dir_all(&archives)
        .with_context(|| format!("cannot create {}", archives.display()))?;
    let previous = match Store::open(data_dir) {
        Ok(store) => Some(store),
        Err(StoreError::Missing(_)) => None,
        Err(error) => {
            eprintln!("warning: {error}; it is rebuilt from the archives");
            None
        }
    };
    let mut sources: BTreeMap<String, SourceState> = previous
        .as_ref()
        .and_then(|store| store.header.as_ref())
        .map(|h| h.sources.clone())
        .unwrap_or_default();
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(args.timeout))
        .redirect(reqwest::redirect::Policy::limited(5))
        .user_agent(concat!("vigil/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("cannot build the HTTP client")?;
    let base = args.url.trim_end_matches('/');
    let mut changed = false;
    let mut failures = 0;
    let mut stderr = anstream::stderr();
    for ecosystem in &args.ecosystems {
        let url = format!("{base}/{ecosystem}/all.zip");
        let key = format!("osv:{ecosystem}");
        let file = archives.join(format!("{ecosystem}.zip"));
        let known = if file.is_file() { sources.get(&key).cloned() } else { None };
        match fetch(&client, &url, &file, known.as_ref()).await {
            Ok(Fetched::New(state)) => {
                writeln!(stderr, "{ecosystem}: downloaded a new archive")?;
                sources.insert(key, state);
                changed = true;
            }
            Ok(Fetched::Unchanged) => writeln!(stderr, "{ecosystem}: unchanged")?,
            Err(error) => {
                failures += 1;
                let kept = if file.is_file() {
                    "the previous archive stays in use"
                } else {
                    "no advisories of it yet"
                };
                writeln!(stderr, "warning: {ecosystem}: {error:#}; {kept}")?;
            }
        }
    }
    if !changed && previous.is_some() {
        writeln!(stderr, "The store is up to date.")?;
        return Ok(if failures > 0 { ExitCode::Error } else { ExitCode::Clean });
    }
    // Rebuild: every advisory of an ecosystem that has an archive comes
    // from the archive (so withdrawn ones disappear); the others (imported
    // from directories) are kept.
    let synced: Vec<vigil_sca::Ecosystem> = args
        .ecosystems
        .iter()
        .filter(|e| archives.join(format!("{e}.zip")).is_file())
        .filter_map(|e| vigil_sca::Ecosystem::from_osv(e))
        .collect();
    let mut importer = Importer::default();
    if let Some(store) = &previous {
        let kept: Vec<_> = store
            .advisories()
            .iter()
            .filter(|advisory| !advisory.affected.iter().all(|a| synced.contains(&a.ecosystem)))
            .cloned()
            .collect();
        importer = Importer::on_top_of(&Store::from_advisories(kept));
    }
    for ecosystem in &args.ecosystems {
        let file = archives.join(format!("{ecosystem}.zip"));
        if !file.is_file() {
            continue;
        }
        let reader = std::fs::File::open(&file)
            .with_context(|| format!("cannot open {}", file.display()))?;
        if let Err(error) = importer.import_zip(&format!("{ecosystem}/all.zip"), reader) {
            writeln!(stderr, "warning: {error}")?;
        }
    }
    let (advisories, report) = importer.finish();
    for problem in report.problems.iter().take(20) {
        writeln!(stderr, "warning: {problem}")?;
    }
    let path = Store::write(data_dir, &advisories, sources, &jiff::Timestamp::now().to_string())?;
    writeln!(stderr, "The store {} holds {} advisories.", path.display(), advisories.len())?;
    Ok(if failures > 0 { ExitCode::Error } else { ExitCode::Clean })
}

/// Downloads `url` into `file` (through a partial file renamed at the end)
/// unless the server says the copy described by `known` is current.
async fn fetch(
    client: &reqwest::Client,
    url: &str,
    file: &Path,
    known: Option<&SourceState>,
) -> Result<Fetched> {
    let mut request = client.get(url);
    if let Some(known) = known {
        if let Some(etag) = &known.etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        if let Some(date) = &known.last_modified {
            request = request.header(reqwest::header::IF_MODIFIED_SINCE, date);
        }
    }
    let mut response =
        request.send().await.map_err(|e| anyhow::anyhow!("cannot reach {url}: {e}"))?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_MODIFIED && known.is_some() {
        return Ok(Fetched::Unchanged);
    }
    if !status.is_success() {
        anyhow::bail!("{url} answered {status}");
    }
    if response.content_length().is_some_and(|length| length > MAX_ARCHIVE_BYTES) {
        anyhow::bail!("{url} is larger than {MAX_ARCHIVE_BYTES} bytes");
    }
    let header = |name: reqwest::header::HeaderName| {
        response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    };
    let state = SourceState {
        advisories: 0,
        etag: header(reqwest::header::ETAG),
        last_modified: header(reqwest::header::LAST_MODIFIED),
    };
    let partial: PathBuf = file.with_extension("zip.partial");
    let mut out = std::fs::File::create(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let mut written: u64 = 0;
    let result: Result<()> = async {
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| anyhow::anyhow!("{url}: the download broke off: {e}"))?
        {
            written += chunk.len() as u64;
            if written > MAX_ARCHIVE_BYTES {
                anyhow::bail!("{url} is larger than {MAX_ARCHIVE_BYTES} bytes");
            }
            out.write_all(&chunk)?;
        }
        out.sync_all()?;
        // Refuse what is not a zip archive before it replaces a good one.
        let check = std::fs::File::open(&partial)?;
        vigil_sca::store::check_zip(check).map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
        std::fs::rename(&partial, file)?;
        Ok(())
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result.map(|()| Fetched::New(state))
}
