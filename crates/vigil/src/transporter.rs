//! `vigil transporter`: the agent's command line. Reads (or, with an
//! enrolment token, first obtains and writes) the credential file, then
//! runs the agent until SIGTERM or Ctrl-C, or until the hub refuses the
//! credential (exit 2: a refusal cannot heal by retrying).

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use vigil_transporter::agent::AgentError;
use vigil_transporter::dial::{self, DialSettings};
use vigil_transporter::{Agent, AgentSettings, Allowlist};

use crate::ExitCode;
use crate::cli::TransporterArgs;
use crate::server::{init_logging, shutdown_signal};

pub(crate) fn run(args: &TransporterArgs) -> Result<ExitCode> {
    init_logging(args.log_format);
    let dial = DialSettings {
        hub: args.hub.clone(),
        insecure_hub: args.insecure_hub,
        ca_file: args.ca_file.clone(),
        proxy: args.proxy.clone(),
        client_cert: args.client_cert.clone().zip(args.client_key.clone()),
        connect_timeout: Duration::from_secs(15),
    };
    // The agent only moves bytes between sockets; on one thread no wake-up
    // crosses threads (`--threads`, default 1; see docs/BENCHMARKS.md).
    let runtime = match args.threads {
        0 | 1 => tokio::runtime::Builder::new_current_thread().enable_all().build(),
        threads => {
            tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build()
        }
    }
    .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let credential = credential(args, &dial).await?;
        let settings = AgentSettings {
            dial,
            credential,
            gitlab: args.gitlab.clone(),
            webhook_listen: args.webhook_listen,
            webhook_url: args.webhook_url.clone(),
            tls: args.tls_cert.clone().zip(args.tls_key.clone()),
            allowlist: Allowlist::builtin()?,
            ping_interval: Duration::from_secs(args.ping_interval.max(1)),
            gitlab_timeout: Duration::from_secs(120),
        };
        match Agent::new(settings)?.run(shutdown_signal()).await {
            Ok(()) => Ok(ExitCode::Clean),
            // A refused credential cannot heal: say how to get a new one.
            Err(error @ AgentError::CredentialRefused { .. }) => bail!(
                "{error}: delete {} and start the agent with --enrolment-token (a new token: Vigil → Transporters, or POST /api/v1/transporters/ID/enrolment)",
                args.credentials.display()
            ),
            Err(error) => Err(error.into()),
        }
    })
}

/// The credential from the file, or from enrolment when the file does not
/// exist and a token was given (then written to the file, mode 0600).
async fn credential(args: &TransporterArgs, dial: &DialSettings) -> Result<String> {
    let path = &args.credentials;
    if path.exists() {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the credentials file {}", path.display()))?;
        let credential = text.trim().to_owned();
        if credential.is_empty() {
            bail!("the credentials file {} is empty", path.display());
        }
        return Ok(credential);
    }
    let Some(token) = &args.enrolment_token else {
        bail!(
            "the credentials file {} does not exist; give --enrolment-token (from Vigil: Transporters → Register) to create it",
            path.display()
        );
    };
    let enrolled = dial::enrol(dial, token.trim()).await.context("enrolment failed")?;
    write_private(path, &enrolled.credential)?;
    tracing::info!(transporter = enrolled.transporter_id, file = %path.display(), "enrolled; credential written");
    Ok(enrolled.credential)
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create the credentials file {}", path.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .with_context(|| format!("cannot write the credentials file {}", path.display()))?;
    Ok(())
}
