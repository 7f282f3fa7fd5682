//! Doorman's hosted pages, served from files built into the binary: the invitation page at
//! `/invite/{token}` (the address every invitation link has), so that an emailed link works
//! on a fresh install with no web app of one's own, and the small admin console at `/admin`.
//! They talk only to this server's `/graphql` (and `/graphql/ws`); their content security
//! policy allows nothing else. An invitation's token stays in the address bar: it is not in
//! the HTML, and no referrer carries it away.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::page_languages::{PageLanguage, PageLanguages};

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
/// sends the visitor back) and the pages' files. Each page is rendered once per language here,
/// and served in the language each request asks for.
pub fn routes<S: Clone + Send + Sync + 'static>(
    success_url: Option<&str>,
    sign_in_origin: Option<&str>,
    languages: Arc<PageLanguages>,
) -> Router<S> {
    let policy: Arc<str> = content_security_policy(sign_in_origin).into();
    let page = |build: &dyn Fn(&PageLanguage) -> String| {
        let rendered: Arc<BTreeMap<&'static str, String>> = Arc::new(
            languages
                .all()
                .iter()
                .map(|language| (language.tag, build(language)))
                .collect(),
        );
        let policy = Arc::clone(&policy);
        let languages = Arc::clone(&languages);
        get(move |RawQuery(query): RawQuery, headers: HeaderMap| {
            let lang = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .find(|(name, _)| name == "lang")
                .map(|(_, value)| value.into_owned());
            let accept = headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|value| value.to_str().ok());
            let tag = languages.choose(lang.as_deref(), accept).tag;
            let html = rendered.get(tag).cloned().unwrap_or_default();
            std::future::ready(html_response(&policy, html))
        })
    };
    let invitation = invitation_data(success_url);
    Router::new()
        .route(
            "/invite/{token}",
            page(&|language| {
                html(&Page {
                    title: "page-title-invitation",
                    script: "invite.js",
                    wide: false,
                    data: &invitation,
                    loading: "loading-invitation",
                    language,
                })
            }),
        )
        .route(
            "/admin",
            page(&|language| {
                html(&Page {
                    title: "page-title-admin",
                    script: "admin.js",
                    wide: true,
                    data: "",
                    loading: "loading-admin",
                    language,
                })
            }),
        )
        .route(
            "/signin/callback",
            page(&|language| {
                html(&Page {
                    title: "page-title-signin",
                    script: "signin.js",
                    wide: false,
                    data: "",
                    loading: "loading-signin",
                    language,
                })
            }),
        )
        .route("/pages/{file}", get(asset))
}

/// What one page's HTML differs in.
struct Page<'a> {
    /// The message ids of its title and of its heading while its script loads.
    title: &'a str,
    loading: &'a str,
    script: &'a str,
    /// The console's wider column.
    wide: bool,
    /// Attributes for the script on `<main>`, already escaped.
    data: &'a str,
    language: &'a PageLanguage,
}

/// The invitation page's attributes: where to go after joining, if the server says (the
/// page is the same for every token: its script reads the token from the address).
fn invitation_data(success_url: Option<&str>) -> String {
    format!(
        r#" data-success-url="{}""#,
        escape(success_url.unwrap_or_default())
    )
}

fn html(page: &Page<'_>) -> String {
    let Page {
        title,
        loading,
        script,
        wide,
        data,
        language,
    } = page;
    let class = if *wide { r#" class="wide""# } else { "" };
    let lang = language.tag;
    let title = text(language.get(title));
    let loading = text(language.get(loading));
    let needs_javascript = text(language.get("needs-javascript"));
    let messages = language.json();
    format!(
        r#"<!doctype html>
<html lang="{lang}">
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
      <noscript><p>{needs_javascript}</p></noscript>
    </main>
    <p id="announcer" class="visually-hidden" role="status" aria-live="polite"></p>
    <script type="application/json" id="doorman-messages">{messages}</script>
    <script src="/pages/common.js"></script>
    <script src="/pages/{script}"></script>
  </body>
</html>
"#
    )
}

/// Text for an HTML element.
fn text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
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
        let languages = PageLanguages::load("Doorman").unwrap();
        let data = invitation_data(Some(r#"https://app.example.com/?a=1&b="x""#));
        let page = html(&Page {
            title: "page-title-invitation",
            loading: "loading-invitation",
            script: "invite.js",
            wide: false,
            data: &data,
            language: languages.choose(Some("de"), None),
        });
        assert!(page.contains(r#"<html lang="de">"#));
        assert!(page.contains(r#"<script type="application/json" id="doorman-messages">{"#));
        assert!(page.contains(r#"<script src="/pages/invite.js"></script>"#));
        assert!(page.contains(r#"href="/pages/pages.css""#));
        assert!(page.contains("https://app.example.com/?a=1&amp;b=&quot;x&quot;"));
        assert_eq!(logged_path("/invite/abc"), "/invite/{token}");
        assert_eq!(logged_path("/graphql"), "/graphql");
    }
}
