//! GraphiQL served from Doorman itself, so it works with no internet: the page, its own start
//! script and style, and the vendored React + GraphiQL UMD bundles of `assets/graphiql/`.
//! Every URL the page loads is same-origin; its content security policy says so too.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::pages::{file_response, html_response};

/// The npm `graphiql` version vendored in `assets/graphiql/` (pinned in `update.sh`).
const GRAPHIQL_VERSION: &str = "4.1.2";
/// The npm `react` and `react-dom` version vendored in `assets/graphiql/`.
const REACT_VERSION: &str = "18.3.1";

const GRAPHQL_ENDPOINT: &str = "/graphql";
const SUBSCRIPTION_ENDPOINT: &str = "/graphql/ws";

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
/// Vendored files carry their version in the URL, so a browser may keep them for good.
const CACHE_VERSIONED: &str = "public, max-age=31536000, immutable";
/// Doorman's own start script and style change with Doorman, under the same URL.
const CACHE_OWN: &str = "public, max-age=300";

/// Scripts, styles and connections to this origin only (`ws:`/`wss:` for subscriptions, as
/// older browsers do not count them as `'self'`); fonts are `data:` URLs inside GraphiQL's CSS.
/// `{nonce}` admits the `<style>` GraphiQL's dialogs inject (react-remove-scroll).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'nonce-{nonce}'; connect-src 'self' ws: wss:; img-src 'self' data:; \
     font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// One file served under `/graphiql/`.
struct Asset {
    /// The file name in the URL, after `/graphiql/`.
    name: String,
    body: &'static [u8],
    content_type: &'static str,
    cache_control: &'static str,
}

static ASSETS: LazyLock<[Asset; 6]> = LazyLock::new(|| {
    let vendored = |name: String, body: &'static [u8], content_type| Asset {
        name,
        body,
        content_type,
        cache_control: CACHE_VERSIONED,
    };
    let own = |name: &str, body: &'static [u8], content_type| Asset {
        name: name.to_owned(),
        body,
        content_type,
        cache_control: CACHE_OWN,
    };
    [
        vendored(
            format!("react-{REACT_VERSION}.production.min.js"),
            include_bytes!("../../assets/graphiql/react.production.min.js"),
            JAVASCRIPT,
        ),
        vendored(
            format!("react-dom-{REACT_VERSION}.production.min.js"),
            include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
            JAVASCRIPT,
        ),
        vendored(
            format!("graphiql-{GRAPHIQL_VERSION}.min.js"),
            include_bytes!("../../assets/graphiql/graphiql.min.js"),
            JAVASCRIPT,
        ),
        vendored(
            format!("graphiql-{GRAPHIQL_VERSION}.min.css"),
            include_bytes!("../../assets/graphiql/graphiql.min.css"),
            CSS,
        ),
        own(
            "init.js",
            include_bytes!("../../assets/graphiql/init.js"),
            JAVASCRIPT,
        ),
        own(
            "init.css",
            include_bytes!("../../assets/graphiql/init.css"),
            CSS,
        ),
    ]
});

/// The page's HTML: every URL is a file of [`ASSETS`]; `nonce` is the style nonce of its policy.
fn html(nonce: &str) -> String {
    let url = |name: &str| format!("/graphiql/{name}");
    let [
        react,
        react_dom,
        graphiql_js,
        graphiql_css,
        init_js,
        init_css,
    ] = ASSETS.each_ref().map(|asset| url(&asset.name));
    format!(
        r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="doorman-style-nonce" nonce="{nonce}">
    <title>Doorman GraphiQL</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="{graphiql_css}">
    <link rel="stylesheet" href="{init_css}">
  </head>
  <body>
    <div id="graphiql" data-endpoint="{GRAPHQL_ENDPOINT}" data-subscription-endpoint="{SUBSCRIPTION_ENDPOINT}">
      <noscript>GraphiQL needs JavaScript.</noscript>
    </div>
    <script src="{react}"></script>
    <script src="{react_dom}"></script>
    <script src="{graphiql_js}"></script>
    <script src="{init_js}"></script>
  </body>
</html>
"#
    )
}

/// The GraphiQL page: queries to `/graphql`, subscriptions to `ws(s)://<host>/graphql/ws`.
/// Each response has a fresh style nonce, so none is cached.
pub fn page() -> Response {
    let nonce = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
    let policy = CONTENT_SECURITY_POLICY.replace("{nonce}", &nonce);
    html_response(&policy, html(&nonce))
}

/// `GET /graphiql/<file>`: the page's scripts and styles.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/graphiql/{file}", get(asset))
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|asset| asset.name == file) {
        Some(asset) => file_response(asset.body, asset.content_type, asset.cache_control),
        None => (StatusCode::NOT_FOUND, "no such GraphiQL file").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::header;

    use super::*;

    #[test]
    fn graphiql_versions_match_the_pins_of_the_update_script() {
        let script = include_str!("../../assets/graphiql/update.sh");
        assert!(
            script.contains(&format!("GRAPHIQL_VERSION={GRAPHIQL_VERSION} ")),
            "update.sh pins another graphiql than {GRAPHIQL_VERSION}"
        );
        assert!(
            script.contains(&format!("REACT_VERSION={REACT_VERSION} ")),
            "update.sh pins another react than {REACT_VERSION}"
        );
    }

    #[tokio::test]
    async fn each_graphiql_page_has_its_own_style_nonce_in_page_and_policy() {
        let mut nonces = Vec::new();
        for _ in 0..2 {
            let response = page();
            let policy = response.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_owned();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            let body = String::from_utf8(body.to_vec()).unwrap();
            let nonce = body
                .split_once(r#"nonce=""#)
                .and_then(|(_, rest)| rest.split_once('"'))
                .map(|(nonce, _)| nonce.to_owned())
                .expect("a nonce in the page");
            assert!(
                policy.contains(&format!("style-src 'self' 'nonce-{nonce}';")),
                "{policy}"
            );
            nonces.push(nonce);
        }
        assert_ne!(nonces[0], nonces[1]);
    }

    #[test]
    fn the_graphiql_page_loads_every_served_file() {
        let page = html("n");
        for asset in ASSETS.iter() {
            assert!(
                page.contains(&format!("\"/graphiql/{}\"", asset.name)),
                "{} is served but not loaded",
                asset.name
            );
        }
    }
}
