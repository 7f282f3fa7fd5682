//! Emails in the organization's voice and the invitee's language, over real SMTP to an
//! in-process sink: branding set through `updateOrganization`, `locale` and `timeZone` on
//! invitations, the organization's default language, the product name, `Reply-To`, and the
//! one-click `List-Unsubscribe` that declines an invitation.

use chrono::{Duration, Locale, NaiveTime, Utc};
use serde_json::{Value, json};

use crate::support::smtp::{CapturedMessage, SmtpSink};
use crate::support::*;

const UPDATE: &str = "mutation($input: UpdateOrganizationInput!) {
  updateOrganization(org: { name: \"acme\" }, input: $input) {
    defaultLocale emailBranding { logoUrl accentColor replyTo emailFooter } } }";

/// A server mailing to `sink` by hand (the test delivers), named `product`, with admin alice
/// of org acme ("Acme Inc."); returns the server and alice's token.
async fn acme(sink: &SmtpSink, product: &str) -> (TestApp, String) {
    let smtp_url = sink.url();
    let product = product.to_owned();
    let app = TestApp::spawn_with(move |settings| {
        settings.smtp_url = Some(smtp_url);
        settings.outbox_worker = false;
        settings.emails.product_name = product;
    })
    .await;
    let alice = alice_with_acme(&app).await;
    (app, alice)
}

/// Status, locale and time zone of acme's invitation to `email`, as alice sees them.
async fn invitation_of(app: &TestApp, alice: &str, email: &str) -> Value {
    let response = app
        .graphql(
            "query($email: String) { orgInvitations(org: { name: \"acme\" }, email: $email,
                first: 1) { edges { node { status locale timeZone } } } }",
            json!({ "email": email }),
            Some(alice),
        )
        .await;
    data(&response)["orgInvitations"]["edges"][0]["node"].clone()
}

async fn update(app: &TestApp, token: &str, input: Value) -> Value {
    app.graphql(UPDATE, json!({ "input": input }), Some(token))
        .await
}

/// The one message the sink got for `recipient`.
#[track_caller]
fn message_to(sink: &SmtpSink, recipient: &str) -> CapturedMessage {
    let mut found: Vec<CapturedMessage> = sink
        .messages()
        .into_iter()
        .filter(|message| message.recipients.iter().any(|to| to == recipient))
        .collect();
    assert_eq!(found.len(), 1, "expected one message to {recipient}");
    found.remove(0)
}

#[tokio::test]
async fn an_invitation_speaks_the_invitees_language_in_the_organizations_branding() {
    let sink = SmtpSink::start();
    let (app, alice) = acme(&sink, "Gatekeeper").await;
    let branding = json!({
        "logoUrl": "https://cdn.acme.example/logo.png",
        "accentColor": "#8250DF",
        "replyTo": "People@Acme.example",
        "emailFooter": "Acme Inc. · 1 Main Street · Springfield",
        "defaultLocale": "fr",
    });
    let updated = update(&app, &alice, branding).await;
    assert_eq!(
        data(&updated)["updateOrganization"],
        json!({
            "defaultLocale": "fr",
            "emailBranding": {
                "logoUrl": "https://cdn.acme.example/logo.png",
                "accentColor": "#8250df",
                "replyTo": "people@acme.example",
                "emailFooter": "Acme Inc. · 1 Main Street · Springfield",
            },
        })
    );
    let expires_at = (Utc::now() + Duration::days(20))
        .with_time(NaiveTime::from_hms_opt(9, 30, 0).unwrap())
        .unwrap();
    let expires = json!({ "expiresAt": expires_at.to_rfc3339() });
    let mut german = expires.clone();
    german["locale"] = json!("de-AT");
    german["timeZone"] = json!("Europe/Vienna");
    let created = create_org_invites(&app, &alice, "acme", &["bob@example.com"], german).await;
    assert_eq!(
        invitations_of(&data(&created)["createOrgInvites"])[0]["email"],
        "bob@example.com"
    );
    assert_eq!(
        invitation_of(&app, &alice, "bob@example.com").await,
        json!({ "status": "PENDING", "locale": "de-AT", "timeZone": "Europe/Vienna" })
    );
    create_org_invites(&app, &alice, "acme", &["carol@example.com"], expires).await;
    assert_eq!(app.deliver_due_emails().await, 2);

    let bob = message_to(&sink, "bob@example.com");
    let carol = message_to(&sink, "carol@example.com");
    // Bob's in German with Vienna's time; carol's in the organization's French, in UTC.
    assert!(bob.html().contains("<html lang=\"de\""), "{}", bob.html());
    let vienna = expires_at
        .with_timezone(&chrono_tz::Europe::Vienna)
        .format_localized("%-d. %B %Y, %H:%M %Z", Locale::de_DE)
        .to_string();
    assert!(bob.text().contains(&vienna), "{vienna} in {}", bob.text());
    assert!(carol.html().contains("<html lang=\"fr\""));
    let utc = expires_at
        .format_localized("%-d %B %Y à %H:%M UTC", Locale::fr_FR)
        .to_string();
    assert!(carol.text().contains(&utc), "{utc} in {}", carol.text());
    assert_ne!(bob.subject(), carol.subject());
    for message in [&bob, &carol] {
        let subject = message.subject();
        assert!(
            subject.contains("Acme Inc.") && subject.contains("Gatekeeper"),
            "{subject}"
        );
        // The product name is the setting's (the sender's name is DOORMAN_MAIL_FROM's).
        for part in [message.text(), message.html()] {
            assert!(!part.contains("Doorman"), "{part}");
        }
        assert_eq!(
            message.header("Reply-To").as_deref(),
            Some("people@acme.example")
        );
        let html = message.html();
        assert!(html.contains(r#"src="https://cdn.acme.example/logo.png""#));
        assert!(html.contains("background-color: #8250df"));
        for part in [message.text(), html] {
            assert!(part.contains("Acme Inc. · 1 Main Street · Springfield"));
        }
        // One-click unsubscribe (RFC 8058) at the invitation's own link.
        let link = message.invitation_link();
        assert_eq!(
            message.header("List-Unsubscribe"),
            Some(format!("<{link}/unsubscribe>"))
        );
        assert_eq!(
            message.header("List-Unsubscribe-Post").as_deref(),
            Some("List-Unsubscribe=One-Click")
        );
    }
    // What was sent is what the outbox row says was sent.
    let subjects = app
        .strings(
            "SELECT subject FROM email_outbox WHERE invitation_id IS NOT NULL ORDER BY id",
            vec![],
        )
        .await;
    assert_eq!(subjects, [bob.subject(), carol.subject()]);
}

#[tokio::test]
async fn one_click_unsubscribe_declines_the_invitation_and_a_get_only_shows_its_page() {
    let sink = SmtpSink::start();
    let (app, alice) = acme(&sink, "Doorman").await;
    let (id, _) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    let status = || invitation_of(&app, &alice, "bob@example.com");
    app.deliver_due_emails().await;
    let link = message_to(&sink, "bob@example.com").invitation_link();
    // The link names the public URL; the same path on this server.
    let path = link.split_once("/invite/").unwrap().1;
    let page = format!("{}/invite/{path}", app.address);
    let unsubscribe = format!("{page}/unsubscribe");

    // Opening the link (a person, or a scanner that fetches links) changes nothing.
    let opened = app.http().get(&unsubscribe).send().await.unwrap();
    assert_eq!(opened.status(), 200);
    assert_eq!(opened.url().as_str(), page);
    assert_eq!(status().await["status"], "PENDING");

    let post = |body: &'static str| {
        app.http()
            .post(&unsubscribe)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    assert_eq!(post("List-Unsubscribe=Other").await.unwrap().status(), 400);
    assert_eq!(
        post("List-Unsubscribe=One-Click").await.unwrap().status(),
        200
    );
    assert_eq!(status().await["status"], "DECLINED");
    assert_eq!(app.event_kinds(&id).await, ["CREATED", "DECLINED"]);
    // Again: nothing left to unsubscribe from, and nothing recorded twice.
    assert_eq!(
        post("List-Unsubscribe=One-Click").await.unwrap().status(),
        200
    );
    assert_eq!(app.event_kinds(&id).await, ["CREATED", "DECLINED"]);

    // A token nobody was sent, and a link that was shown to its inviter, unsubscribe nothing.
    let unknown = format!("{}/invite/{}/unsubscribe", app.address, "A".repeat(43));
    let shown = create_org_invites(
        &app,
        &alice,
        "acme",
        &["carol@example.com"],
        json!({ "sendEmail": false }),
    )
    .await;
    let shown_link = invitations_of(&data(&shown)["createOrgInvites"])[0]["invitationLink"]
        .as_str()
        .unwrap()
        .to_owned();
    let shown_path = shown_link.split_once("/invite/").unwrap().1;
    let shown = format!("{}/invite/{shown_path}/unsubscribe", app.address);
    for url in [unknown, shown] {
        let response = app
            .http()
            .post(&url)
            .form(&[("List-Unsubscribe", "One-Click")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{url}");
    }
}

#[tokio::test]
async fn branding_and_languages_are_checked_and_cleared_with_null() {
    let sink = SmtpSink::start();
    let (app, alice) = acme(&sink, "Doorman").await;
    for (input, reason) in [
        (
            json!({ "logoUrl": "http://cdn.acme.example/logo.png" }),
            "https",
        ),
        (json!({ "logoUrl": "javascript:alert(1)" }), "https"),
        (
            json!({ "accentColor": "#fff; background: url(x)" }),
            "accentColor",
        ),
        (json!({ "replyTo": "not an address" }), "replyTo"),
        (json!({ "emailFooter": "two\nlines" }), "emailFooter"),
        (json!({ "emailFooter": "x".repeat(201) }), "emailFooter"),
        (json!({ "defaultLocale": "xx" }), "en, de, fr, es, ja"),
    ] {
        let response = update(&app, &alice, input.clone()).await;
        assert_error_code(&response, "BAD_USER_INPUT");
        let message = response["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(reason), "{input}: {message}");
    }
    for (extra, reason) in [
        (json!({ "locale": "pt-BR" }), "locale"),
        (json!({ "locale": "x".repeat(100) }), "locale"),
        (json!({ "timeZone": "Mars/Olympus_Mons" }), "timeZone"),
    ] {
        let response = create_org_invites(&app, &alice, "acme", &["bob@example.com"], extra).await;
        assert_error_code(&response, "BAD_USER_INPUT");
        let message = response["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(reason), "{message}");
    }
    // A member who is not an admin brands nothing.
    let bob = add_member(&app, &alice, "acme", "bob", "MEMBER").await;
    let response = update(&app, &bob, json!({ "accentColor": "#000000" })).await;
    assert_error_code(&response, "FORBIDDEN");

    update(
        &app,
        &alice,
        json!({ "accentColor": "#abc", "defaultLocale": "ja" }),
    )
    .await;
    // Members read the branding; anyone else (the holder of a link) gets null.
    let (carol, _) = register(&app, "carol").await;
    let read = "{ organization(org: { name: \"acme\" }) { emailBranding { accentColor } } }";
    for (token, expected) in [
        (&bob, json!({ "accentColor": "#aabbcc" })),
        (&carol, Value::Null),
    ] {
        let response = app.graphql(read, json!({}), Some(token)).await;
        assert_eq!(data(&response)["organization"]["emailBranding"], expected);
    }
    let cleared = update(
        &app,
        &alice,
        json!({ "accentColor": null, "defaultLocale": null }),
    )
    .await;
    assert_eq!(
        data(&cleared)["updateOrganization"],
        json!({
            "defaultLocale": null,
            "emailBranding": {
                "logoUrl": null, "accentColor": null, "replyTo": null, "emailFooter": null,
            },
        })
    );
    // Each change is in the organization's log.
    let events = app
        .graphql(
            "{ orgEvents(org: { name: \"acme\" }, kinds: [ORG_UPDATED]) {
                nodes { changes { field before after } } } }",
            json!({}),
            Some(&alice),
        )
        .await;
    assert_eq!(
        data(&events)["orgEvents"]["nodes"][0]["changes"],
        json!([
            { "field": "accentColor", "before": "#aabbcc", "after": null },
            { "field": "defaultLocale", "before": "ja", "after": null },
        ])
    );

    let info = app
        .graphql(
            "{ serverInfo { productName emailLocales defaultLocale } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(
        data(&info)["serverInfo"],
        json!({
            "productName": "Doorman",
            "emailLocales": ["en", "de", "fr", "es", "ja"],
            "defaultLocale": "en",
        })
    );
}

/// Mail providers may post the one-click form as multipart (RFC 8058), and from the link of an
/// earlier email, which a resend replaced: both decline, and the resend still in the outbox is
/// not sent.
#[tokio::test]
async fn one_click_takes_multipart_and_an_earlier_emails_link_and_stops_queued_mail() {
    let sink = SmtpSink::start();
    let (app, alice) = acme(&sink, "Doorman").await;
    let (id, _) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    assert_eq!(app.deliver_due_emails().await, 1);
    let first = message_to(&sink, "bob@example.com").invitation_link();
    data(&resend(&app, &alice, json!({ "ids": [id] })).await);

    let path = first.split_once("/invite/").unwrap().1;
    let response = app
        .http()
        .post(format!("{}/invite/{path}/unsubscribe", app.address))
        .header(
            "content-type",
            "multipart/form-data; boundary=doorman-boundary",
        )
        .body(
            "--doorman-boundary\r\n\
             Content-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\n\
             One-Click\r\n\
             --doorman-boundary--\r\n",
        )
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(
        invitation_of(&app, &alice, "bob@example.com").await["status"],
        "DECLINED"
    );
    // The resend's email was cancelled with the decline: nothing more reaches bob.
    assert_eq!(app.deliver_due_emails().await, 0);
    assert_eq!(sink.messages().len(), 1);
}
