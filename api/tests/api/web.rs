//! The browser app as `planner serve` offers it: every HTML page it answers with, whichever path asked for it,
//! carries the strict Content-Security-Policy with TMDB's image host.

use reqwest::{Method, StatusCode};

use crate::helpers::{Backend, spawn_app_with};

/// A built app in miniature: an `index.html` with an inline loader, and one hashed script.
fn web_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><html><head><script type=\"module\">import init from '/frontend-0123456789abcdef.js';init();</script></head><body></body></html>",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("frontend-0123456789abcdef.js"),
        "export default function init() {}",
    )
    .unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_web_page_carries_the_strict_policy_with_the_poster_host() {
    let dir = web_dir();
    let app = spawn_app_with(Backend::Sqlite, &[("WEB_DIR", &dir.path().display().to_string())]).await;
    for path in ["/", "/index.html", "/tasks", "/birthdays/"] {
        let response = app.request(Method::GET, path, None, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers().clone();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
            "{path}: {csp}"
        );
        assert!(
            csp.contains("img-src 'self' data: https://image.tmdb.org;"),
            "{path}: {csp}"
        );
        assert!(
            csp.contains("object-src 'none'") && csp.contains("base-uri 'none'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(headers["cache-control"], "no-cache", "{path}");
        assert!(
            headers["content-type"].to_str().unwrap().starts_with("text/html"),
            "{path}"
        );
        assert!(
            response.text().await.unwrap().contains("<script type=\"module\">"),
            "{path}"
        );
    }
    let script = app
        .request(Method::GET, "/frontend-0123456789abcdef.js", None, None)
        .await;
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(script.headers()["cache-control"], "public, max-age=31536000, immutable");
}
