//! The hosted invitation page (`src/http/pages.rs`): served for every token from files in the
//! binary, under a strict policy, with the token kept out of the page and the logs. The
//! journeys in a browser are in `tests/js/invite_page.test.mjs`.

use crate::support::*;

#[tokio::test]
async fn an_emailed_link_opens_the_invitation_page_and_admin_the_console() {
    let (app, alice, _bob) = acme_and_bob().await;
    let (_, token) = invite_one(&app, &alice, "acme", "bob@example.com").await;

    let page = app
        .http()
        .get(format!("{}/invite/{token}", app.address))
        .send()
        .await
        .expect("the page answers");

    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    let policy = headers["content-security-policy"]
        .to_str()
        .unwrap_or_default();
    assert!(
        policy.starts_with("default-src 'none'; script-src 'self';"),
        "{policy}"
    );
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains(r#"<script src="/pages/invite.js"></script>"#));
    assert!(!html.contains(&token), "the token stays in the address bar");
    let files = [
        ("common.js", "text/javascript"),
        ("invite.js", "text/javascript"),
        ("admin.js", "text/javascript"),
        ("signin.js", "text/javascript"),
        ("pages.css", "text/css"),
    ];
    for (file, kind) in files {
        let asset = app
            .http()
            .get(format!("{}/pages/{file}", app.address))
            .send()
            .await
            .expect("the file answers");
        assert_eq!(asset.status(), 200, "{file}");
        let content_type = asset.headers()["content-type"].to_str().unwrap_or_default();
        assert!(content_type.starts_with(kind), "{file}: {content_type}");
    }
    let console = app
        .http()
        .get(format!("{}/admin", app.address))
        .send()
        .await
        .expect("the console answers");
    assert_eq!(console.status(), 200);
    assert!(
        console.headers()["content-security-policy"]
            .to_str()
            .unwrap_or_default()
            .contains("connect-src 'self' ws: wss:")
    );
    let console = console.text().await.unwrap_or_default();
    assert!(console.contains(r#"<script src="/pages/admin.js"></script>"#));
    let missing = app
        .http()
        .get(format!("{}/pages/../Cargo.toml", app.address))
        .send()
        .await
        .expect("answers");
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn the_success_address_reaches_the_page_escaped() {
    let app = TestApp::spawn_with(|settings| {
        settings.lifecycle.invite_success_url =
            Some("https://app.example.com/welcome?a=1&b=2".to_owned());
    })
    .await;

    let html = app
        .http()
        .get(format!("{}/invite/{}", app.address, "A".repeat(43)))
        .send()
        .await
        .expect("the page answers")
        .text()
        .await
        .unwrap_or_default();

    assert!(
        html.contains(r#"data-success-url="https://app.example.com/welcome?a=1&amp;b=2""#),
        "{html}"
    );
}
