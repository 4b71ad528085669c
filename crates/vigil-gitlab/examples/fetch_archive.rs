//! What a full scan's fetch costs: `Client::download_archive` (the
//! download streamed to disk, then unpacked defensively), timed. Used by
//! bench/transporter.sh to compare a direct connection with the
//! Transporter on Vigil's own consumer of archives.
//!
//! Usage: `fetch_archive BASE_URL [VIA_URL VIA_HEADER_VALUE]`: project 1,
//! ref `main`, into a temporary directory; with `VIA_URL` every request
//! goes to that Transporter forward endpoint with `x-vigil-forward-key`.
//! Prints `seconds files bytes`.

// A benchmark tool: failing loudly is the right behaviour.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use vigil_gitlab::{ArchiveLimits, Client, ClientSettings, Token, Via};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let base_url = args.next().expect("BASE_URL");
    let via = args.next().map(|url| Via {
        url,
        header: ("x-vigil-forward-key".to_owned(), args.next().expect("VIA_HEADER_VALUE")),
    });
    let settings = ClientSettings { via, ..ClientSettings::default() };
    let client = Client::new(&base_url, Token::new("bench".to_owned()), settings).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let unpacked = client
        .download_archive(1, "main", directory.path(), ArchiveLimits::default())
        .await
        .unwrap();
    println!("{:.3} {} {}", started.elapsed().as_secs_f64(), unpacked.files, unpacked.bytes);
}
