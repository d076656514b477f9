//! Serving the built browser app from `WEB_DIR`: files as they are, with a year's caching for the hashed ones trunk
//! names, `index.html` for every other path (the app's own routes), gzip, and a strict Content-Security-Policy.
//!
//! The policy allows scripts only from this origin plus the hashes of the inline loader trunk writes into
//! `index.html`, which are computed when the server starts, so no `'unsafe-inline'` is ever needed.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use sha2::{Digest as _, Sha256};

/// Where TMDB's posters come from.
const POSTER_HOST: &str = "https://image.tmdb.org";

/// The built app, read once at start.
#[derive(Debug, Clone)]
pub struct WebApp {
    dir: PathBuf,
    index: Option<Arc<Vec<u8>>>,
    csp: HeaderValue,
}

impl WebApp {
    /// Reads `index.html` from `dir`; without it, `/` answers that the app is not built.
    pub fn load(dir: &Path) -> Self {
        let index = std::fs::read(dir.join("index.html")).ok();
        if index.is_none() {
            tracing::warn!(
                web.dir = %dir.display(),
                "no built browser app (index.html) here; build it with `trunk build --release` in frontend/"
            );
        }
        let hashes = index.as_deref().map(inline_script_hashes).unwrap_or_default();
        let csp = content_security_policy(&hashes);
        Self {
            dir: dir.to_owned(),
            index: index.map(Arc::new),
            csp: HeaderValue::from_str(&csp).unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'")),
        }
    }

    /// The policy sent with the app's pages.
    pub fn csp(&self) -> &HeaderValue {
        &self.csp
    }

    /// Answers a request the API did not claim.
    pub async fn serve(&self, request: Request<Body>) -> Response {
        let path = request.uri().path();
        if !matches!(*request.method(), Method::GET | Method::HEAD) || is_reserved(path) {
            // The API's own 404 and 405 (made into problem documents by the middleware).
            return StatusCode::NOT_FOUND.into_response();
        }
        // `index.html` named directly is the app's page too: it gets the policy and `no-cache`, never a plain file.
        let path = if path == "/index.html" { "/" } else { path };
        if let Some(file) = self.file_for(path)
            && let Ok(bytes) = tokio::fs::read(&file).await
        {
            return file_response(&file, bytes, path);
        }
        // A path with an extension names a file that is not there; anything else is one of the app's routes.
        if path.rsplit('/').next().is_some_and(|last| last.contains('.')) {
            return StatusCode::NOT_FOUND.into_response();
        }
        match &self.index {
            Some(index) => {
                let mut response = Response::new(Body::from(index.as_ref().clone()));
                let headers = response.headers_mut();
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                headers.insert(header::CONTENT_SECURITY_POLICY, self.csp.clone());
                response
            }
            None => (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "The browser app is not built. Run ./scripts/run, or `trunk build --release` in frontend/. \
                 The API is documented at /docs.",
            )
                .into_response(),
        }
    }

    /// The file a path names inside the app's folder; `None` for anything that would leave it.
    fn file_for(&self, path: &str) -> Option<PathBuf> {
        let relative = Path::new(path.trim_start_matches('/'));
        if relative.as_os_str().is_empty()
            || path.contains('\\')
            || !relative.components().all(|c| matches!(c, Component::Normal(_)))
        {
            return None;
        }
        let file = self.dir.join(relative);
        file.is_file().then_some(file)
    }
}

/// Paths that belong to the API and its documentation, never to the app.
fn is_reserved(path: &str) -> bool {
    ["/api", "/docs", "/healthz", "/readyz", "/metrics"]
        .iter()
        .any(|prefix| path == *prefix || path.starts_with(&format!("{prefix}/")))
}

fn file_response(file: &Path, bytes: Vec<u8>, path: &str) -> Response {
    let content_type = match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "webmanifest" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    let cache = if is_hashed(path) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// Whether a file name carries trunk's content hash (`frontend-1a2b3c4d5e6f7a8_bg.wasm`: 12 or more hex digits),
/// so it never changes.
pub fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    let stem = name.split('.').next().unwrap_or("");
    stem.split(['-', '_'])
        .any(|part| part.len() >= 12 && part.chars().all(|c| c.is_ascii_hexdigit()))
}

/// `'sha256-…'` for the content of every inline `<script>` in a page.
pub fn inline_script_hashes(html: &[u8]) -> Vec<String> {
    let html = String::from_utf8_lossy(html);
    let mut hashes = Vec::new();
    let mut rest = html.as_ref();
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else { break };
        let tag = &after[..open_end];
        let body = &after[open_end + 1..];
        let Some(close) = body.find("</script>") else { break };
        if !tag.contains(" src=") {
            let digest = Sha256::digest(&body.as_bytes()[..close]);
            hashes.push(format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        rest = &body[close..];
    }
    hashes
}

/// The app's policy: only this origin, WebAssembly allowed, posters from TMDB, nothing inline but the loader.
pub fn content_security_policy(script_hashes: &[String]) -> String {
    let mut script_src = vec!["'self'".to_owned(), "'wasm-unsafe-eval'".to_owned()];
    script_src.extend(script_hashes.iter().cloned());
    format!(
        "default-src 'self'; script-src {}; style-src 'self'; img-src 'self' data: {POSTER_HOST}; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'",
        script_src.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_loaders_are_hashed_and_external_scripts_are_not() {
        let html = br#"<html><script type="module">import init from '/a.js';init();</script><script src="/b.js"></script></html>"#;
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 1);
        let expected =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"import init from '/a.js';init();"));
        assert_eq!(hashes[0], format!("'sha256-{expected}'"));
        let csp = content_security_policy(&hashes);
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"));
        assert!(csp.contains("object-src 'none'") && csp.contains("base-uri 'none'"));
        assert!(!csp.contains("unsafe-inline"));
    }

    #[test]
    fn only_trunk_hashed_names_are_cached_for_good() {
        assert!(is_hashed("/frontend-9f86d081884c7d65_bg.wasm"));
        assert!(is_hashed("/style-9f86d081884c7d65.css"));
        assert!(is_hashed("/frontend-ab9d28e8ff79363.js"), "trunk drops leading zeros");
        assert!(!is_hashed("/index.html"));
        assert!(!is_hashed("/favicon.ico"));
    }

    #[test]
    fn paths_cannot_leave_the_app_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app.js"), "x").unwrap();
        let app = WebApp::load(dir.path());
        assert!(app.file_for("/app.js").is_some());
        assert!(app.file_for("/../etc/passwd").is_none());
        assert!(app.file_for("/%2e%2e/app.js").is_none());
        assert!(app.file_for("/").is_none());
        assert!(app.file_for("/a\\..\\app.js").is_none());
    }
}
