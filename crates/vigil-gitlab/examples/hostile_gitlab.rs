//! Issue 17's hostile-answer figures: the peak RSS of one process running
//! the client against `gitlab-sim` answering as a hostile GitLab would
//! (bodies generated as they are sent, so the simulator itself holds
//! little), case by case: a 1 GiB answer to `GET /user` and to
//! `GET /projects`, a 1 GiB OAuth token answer, a 4 MiB `access_token`, an
//! endless error body on an archive download, and the unpack of an archive
//! of 150,000 symlinks plus a 1 GiB gzip bomb. Used by bench/hostile_gitlab.sh.
//!
//! Prints one line per case: `case<TAB>result<TAB>seconds<TAB>peak RSS MB`.

// A benchmark tool: failing loudly is the right behaviour.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::io::Read as _;
use std::time::Instant;

use gitlab_sim::{Fault, MAINTAINER, Simulator};
use vigil_gitlab::{ArchiveLimits, Client, ClientSettings, OAuthClient, RefreshToken, Token};

/// The process's peak resident set so far (VmHWM), MB.
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn report<T, E: std::fmt::Display>(case: &str, started: Instant, result: Result<T, E>) {
    let outcome = match result {
        Ok(_) => "accepted (!)".to_owned(),
        Err(error) => error.to_string().chars().take(110).collect(),
    };
    println!("{case}\t{outcome}\t{:.2}\t{:.0}", started.elapsed().as_secs_f64(), peak_mb());
}

fn gib(status: u16, declared: bool) -> Fault {
    Fault::Oversized { status, bytes: 1 << 30, declared, part_bytes: 64 << 10, pause_ms: 0 }
}

/// A tar.gz of `links` symlinks and one `bomb_bytes` file of zeros.
fn bomb_archive(links: usize, bomb_bytes: u64) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    let encoder =
        flate2::write::GzEncoder::new(file.reopen().unwrap(), flate2::Compression::best());
    let mut builder = tar::Builder::new(encoder);
    for n in 0..links {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        header.set_mode(0o777);
        builder.append_link(&mut header, format!("top/l{n}"), "/etc/passwd").unwrap();
    }
    let mut header = tar::Header::new_gnu();
    header.set_size(bomb_bytes);
    header.set_mode(0o644);
    builder.append_data(&mut header, "top/zeros.bin", std::io::repeat(0).take(bomb_bytes)).unwrap();
    builder.into_inner().unwrap().finish().unwrap();
    file
}

#[tokio::main]
async fn main() {
    println!("case\tresult\tseconds\tpeak RSS MB");
    println!("start\t-\t0\t{:.0}", peak_mb());
    let sim = Simulator::start().await.unwrap();
    let token = sim.add_user("vigil-bot", false);
    let project = sim.add_project("group/app", "main", &[("vigil-bot", MAINTAINER)]);
    sim.write_file(project, "README.md", "hello\n");
    let client =
        Client::new(&sim.base_url(), Token::new(token), ClientSettings::default()).unwrap();

    sim.inject("/api/v4/user", gib(200, false), 1);
    let started = Instant::now();
    report("GET /user, 1 GiB, no length", started, client.current_user().await);

    sim.inject("/api/v4/projects", gib(200, true), 1);
    let started = Instant::now();
    report("GET /projects, 1 GiB, declared", started, client.maintained_projects().await);

    let (id, secret) = sim.add_oauth_application("Vigil", "https://vigil.example/cb", &["api"]);
    let oauth =
        OAuthClient::new(&sim.base_url(), &id, Token::new(secret), &ClientSettings::default())
            .unwrap();
    let refresh = RefreshToken::new("r".repeat(64));
    sim.inject("/oauth/token", gib(200, false), 1);
    let started = Instant::now();
    report("POST /oauth/token, 1 GiB", started, oauth.refresh(&refresh).await);

    let body = serde_json::json!({
        "access_token": "a".repeat(4 << 20), "token_type": "Bearer",
        "refresh_token": "r".repeat(64), "expires_in": 7200, "created_at": 1_700_000_000,
    });
    sim.inject("/oauth/token", Fault::Answer { status: 200, body: body.to_string() }, 1);
    let started = Instant::now();
    report("POST /oauth/token, 4 MiB access_token", started, oauth.refresh(&refresh).await);
    drop(body);

    let archive = format!("/api/v4/projects/{project}/repository/archive");
    sim.inject(&archive, gib(500, false), 4);
    let started = Instant::now();
    let directory = tempfile::tempdir().unwrap();
    report(
        "archive download, endless 500 body",
        started,
        client.download_archive(project, "main", directory.path(), ArchiveLimits::default()).await,
    );

    let bomb = bomb_archive(150_000, 1 << 30);
    let size = std::fs::metadata(bomb.path()).unwrap().len();
    let started = Instant::now();
    let directory = tempfile::tempdir().unwrap();
    let unpacked = vigil_gitlab::unpack(bomb.path(), directory.path(), &ArchiveLimits::default());
    let outcome = match unpacked {
        Ok(unpacked) => format!(
            "{} files, {} bytes written, {} entries skipped ({} notes kept)",
            unpacked.files,
            unpacked.bytes,
            unpacked.skipped_total,
            unpacked.skipped.len()
        ),
        Err(error) => error.to_string(),
    };
    println!(
        "unpack: 150,000 links + 1 GiB of zeros ({:.1} MB gzip)\t{outcome}\t{:.2}\t{:.0}",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        peak_mb()
    );
}
