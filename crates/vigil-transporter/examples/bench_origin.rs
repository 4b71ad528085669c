//! The origin of bench/transporter.sh: stands in for GitLab with
//! TCP_NODELAY (as GitLab's front does), answering `GET /api/v4/version`
//! with a small JSON body and
//! `GET /api/v4/projects/{id}/repository/archive.tar.gz?bytes=N` with N
//! bytes streamed in 64 KiB chunks (nothing buffered). Prints its address.
//! Given an `ARCHIVE` file, the archive route without `bytes=` answers
//! that file (read into memory at start), as GitLab answers a
//! repository's archive.
//!
//! Usage: `bench_origin [ADDR [ARCHIVE]]` (ADDR default 127.0.0.1:0).

// A benchmark tool: failing loudly is the right behaviour.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Query;
use axum::routing::get;
use axum::serve::ListenerExt as _;

#[derive(serde::Deserialize)]
struct Size {
    bytes: Option<u64>,
}

#[tokio::main]
async fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    let archive = std::env::args()
        .nth(2)
        .filter(|path| !path.is_empty())
        .map(|path| Bytes::from(std::fs::read(path).expect("ARCHIVE")));
    println!("{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route(
            "/api/v4/version",
            get(|| async {
                axum::Json(serde_json::json!({"version": "17.5.0-ee", "revision": "4a6b1c2d3e4"}))
            }),
        )
        .route(
            "/api/v4/projects/{id}/repository/archive.tar.gz",
            get(|Query(size): Query<Size>| async move {
                if let (None, Some(file)) = (size.bytes, archive) {
                    let chunks = (0..file.len()).step_by(64 * 1024).map(move |at| {
                        Ok::<_, std::io::Error>(file.slice(at..file.len().min(at + 64 * 1024)))
                    });
                    return axum::response::Response::builder()
                        .header("content-type", "application/octet-stream")
                        .body(Body::from_stream(futures::stream::iter(chunks)))
                        .unwrap();
                }
                let total = size.bytes.unwrap_or(1 << 30);
                let chunk = Bytes::from(vec![0_u8; 64 * 1024]);
                let stream = futures::stream::unfold(total, move |left| {
                    let chunk = chunk.clone();
                    async move {
                        (left > 0).then(|| {
                            let n = left.min(chunk.len() as u64);
                            (Ok::<_, std::io::Error>(chunk.slice(..n as usize)), left - n)
                        })
                    }
                });
                axum::response::Response::builder()
                    .header("content-length", total)
                    .header("content-type", "application/octet-stream")
                    .body(Body::from_stream(stream))
                    .unwrap()
            }),
        );
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await.unwrap();
}
