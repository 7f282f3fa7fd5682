//! Doorman's hosted pages, served from files built into the binary: the invitation page at
//! `/invite/{token}` (the address every invitation link has), so that an emailed link works
//! on a fresh install with no web app of one's own, and the small admin console at `/admin`.
//! They talk only to this server's `/graphql` (and `/graphql/ws`); their content security
//! policy allows nothing else. An invitation's token stays in the address bar: it is not in
//! the HTML, and no referrer carries it away.

use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Same-origin scripts, styles and requests only; no framing, no plugins, no form posts.
/// `ws:`/`wss:` for the console's live list, as older browsers do not count them as `'self'`;
/// `sign_in_origin` is the identity provider's token endpoint, for "Continue with <provider>".
fn content_security_policy(sign_in_origin: Option<&str>) -> String {
    let sign_in = sign_in_origin
        .map(|origin| format!(" {origin}"))
        .unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; \
         connect-src 'self' ws: wss:{sign_in}; img-src 'self' data:; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'"
    )
}

/// The files under `/pages/`.
const ASSETS: [(&str, &[u8], &str); 5] = [
    (
        "common.js",
        include_bytes!("../../assets/pages/common.js"),
        JAVASCRIPT,
    ),
    (
        "signin.js",
        include_bytes!("../../assets/pages/signin.js"),
        JAVASCRIPT,
    ),
    (
        "invite.js",
        include_bytes!("../../assets/pages/invite.js"),
        JAVASCRIPT,
    ),
    (
        "admin.js",
        include_bytes!("../../assets/pages/admin.js"),
        JAVASCRIPT,
    ),
    (
        "pages.css",
        include_bytes!("../../assets/pages/pages.css"),
        CSS,
    ),
];

/// `GET /invite/{token}`, `GET /admin`, `GET /signin/callback` (where the identity provider
/// sends the visitor back) and the pages' files.
pub fn routes<S: Clone + Send + Sync + 'static>(
    success_url: Option<&str>,
    sign_in_origin: Option<&str>,
) -> Router<S> {
    let policy: Arc<str> = content_security_policy(sign_in_origin).into();
    let page = |html: String| {
        let policy = Arc::clone(&policy);
        get(move || std::future::ready(html_response(&policy, html.clone())))
    };
    Router::new()
        .route("/invite/{token}", page(invitation_page(success_url)))
        .route(
            "/admin",
            page(html(&Page {
                title: "Admin · Doorman",
                script: "admin.js",
                wide: true,
                data: "",
                loading: "Loading the console…",
            })),
        )
        .route(
            "/signin/callback",
            page(html(&Page {
                title: "Signing in · Doorman",
                script: "signin.js",
                wide: false,
                data: "",
                loading: "Signing you in…",
            })),
        )
        .route("/pages/{file}", get(asset))
}

/// What one page's HTML differs in.
struct Page<'a> {
    title: &'a str,
    script: &'a str,
    /// The console's wider column.
    wide: bool,
    /// Attributes for the script on `<main>`, already escaped.
    data: &'a str,
    loading: &'a str,
}

/// The invitation page: the same for every token (its script reads the token from the
/// address).
fn invitation_page(success_url: Option<&str>) -> String {
    let data = format!(
        r#" data-success-url="{}""#,
        escape(success_url.unwrap_or_default())
    );
    html(&Page {
        title: "Invitation · Doorman",
        script: "invite.js",
        wide: false,
        data: &data,
        loading: "Loading your invitation…",
    })
}

fn html(page: &Page<'_>) -> String {
    let Page {
        title,
        script,
        wide,
        data,
        loading,
    } = page;
    let class = if *wide { r#" class="wide""# } else { "" };
    format!(
        r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="referrer" content="no-referrer">
    <title>{title}</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/pages/pages.css">
  </head>
  <body>
    <main id="app"{class}{data}>
      <h1>{loading}</h1>
      <noscript><p>This page needs JavaScript.</p></noscript>
    </main>
    <p id="announcer" class="visually-hidden" role="status" aria-live="polite"></p>
    <script src="/pages/common.js"></script>
    <script src="/pages/{script}"></script>
  </body>
</html>
"#
    )
}

/// Text for a double-quoted HTML attribute.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A page of ours (these and GraphiQL): never cached, under `policy`, sending no referrer.
pub(super) fn html_response(policy: &str, page: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_SECURITY_POLICY, policy),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        page,
    )
        .into_response()
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, ..)| *name == file) {
        // The files change with Doorman, under the same URL.
        Some((_, body, content_type)) => file_response(body, content_type, "public, max-age=300"),
        None => (StatusCode::NOT_FOUND, "no such page file").into_response(),
    }
}

/// One of the files a page loads, as its type, cached as `cache_control` says.
pub(super) fn file_response(
    body: &'static [u8],
    content_type: &'static str,
    cache_control: &'static str,
) -> Response {
    let headers: [(HeaderName, HeaderValue); 3] = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    (headers, body).into_response()
}

/// The path as logs show it: an invitation page's token is left out.
pub fn logged_path(path: &str) -> &str {
    if path.starts_with("/invite/") {
        "/invite/{token}"
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_its_own_files_and_escapes_the_success_url() {
        let page = invitation_page(Some(r#"https://app.example.com/?a=1&b="x""#));
        assert!(page.contains(r#"<script src="/pages/invite.js"></script>"#));
        assert!(page.contains(r#"href="/pages/pages.css""#));
        assert!(page.contains("https://app.example.com/?a=1&amp;b=&quot;x&quot;"));
        assert_eq!(logged_path("/invite/abc"), "/invite/{token}");
        assert_eq!(logged_path("/graphql"), "/graphql");
    }
}
