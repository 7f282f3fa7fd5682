//! Proven emails (`service/email_verification.rs` and the rules of `domain/invitation_rules.rs`
//! that depend on them): nobody joins through an email or a domain they have not proven;
//! verification links work once and expire; an emailed invitation link proves the mailbox;
//! changing the email unverifies it; server admins can set it. Mail goes over real SMTP to an
//! in-process sink where a test reads what the invitee would.

use doorman::config::{RegistrationMode, Settings};
use serde_json::{Value as Json, json};

use crate::support::smtp::{CapturedMessage, SmtpSink, unescape_html};
use crate::support::*;

const ME: &str = "{ me { id email emailVerified emailVerifiedAt } }";

const MY_INVITATIONS: &str = "{ myInvitations { id email } }";

/// A server that mails to `sink` when a test delivers, with admin `alice` of org `acme`
/// (verified); returns the server and alice's token.
async fn acme_mailing_to(
    sink: &SmtpSink,
    configure: impl FnOnce(&mut Settings),
) -> (TestApp, String) {
    let app = TestApp::spawn_with(|settings| {
        settings.smtp_url = Some(sink.url());
        settings.outbox_worker = false;
        configure(settings);
    })
    .await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    (app, alice)
}

async fn me(app: &TestApp, token: &str) -> Json {
    let response = app.graphql(ME, json!({}), Some(token)).await;
    data(&response)["me"].clone()
}

/// The one `{PUBLIC_URL}/verify-email/{token}` link of a message, the same in both parts.
#[track_caller]
fn verification_link(message: &CapturedMessage) -> String {
    let prefix = format!("{PUBLIC_URL}/verify-email/");
    let find = |body: &str| {
        let start = body
            .find(&prefix)
            .unwrap_or_else(|| panic!("no verification link in\n{body}"));
        body[start..]
            .chars()
            .take(prefix.len() + 43)
            .collect::<String>()
    };
    let link = find(&message.text());
    assert_eq!(find(&unescape_html(&message.html())), link);
    link
}

fn token_of_verification_link(link: &str) -> String {
    let (_, token) = link
        .split_once("/verify-email/")
        .expect("a verification link");
    log_guard::secret("an email-verification token", token);
    token.to_owned()
}

/// The messages `sink` received for `recipient`.
fn messages_to(sink: &SmtpSink, recipient: &str) -> Vec<CapturedMessage> {
    sink.messages()
        .into_iter()
        .filter(|message| message.recipients.iter().any(|to| to == recipient))
        .collect()
}

#[tokio::test]
async fn an_unverified_account_cannot_join_through_a_domain_limited_link_until_it_verifies() {
    let sink = SmtpSink::start();
    let (app, alice) = acme_mailing_to(&sink, |_| {}).await;
    let link = create_invite_link(
        &app,
        &alice,
        "acme",
        json!({ "allowedEmailDomains": ["bigcorp.com"] }),
    )
    .await;
    let link_token = token_from_link(&str_of(&data(&link)["createInviteLink"]["invitationLink"]));
    // Anyone can register with any address.
    let (mallory, mallory_id) = register_unverified(&app, "mallory", "ceo@bigcorp.com").await;
    assert_eq!(me(&app, &mallory).await["emailVerified"], false);

    let refused = accept(&app, &mallory, &link_token).await;

    assert_error_code(&refused, "EMAIL_NOT_VERIFIED");
    assert_eq!(app.rows("memberships").await, 1, "only alice is a member");
    // The owner of the mailbox verifies; then the same account joins.
    app.deliver_due_emails().await;
    let messages = messages_to(&sink, "ceo@bigcorp.com");
    assert_eq!(messages.len(), 1, "one verification email");
    let token = token_of_verification_link(&verification_link(&messages[0]));
    let verified = verify_email(&app, &token).await;
    assert_eq!(
        data(&verified)["verifyEmail"],
        json!({ "id": mallory_id, "emailVerified": true })
    );
    let joined = accept(&app, &mallory, &link_token).await;
    assert_eq!(
        data(&joined)["acceptInvitation"]["membership"]["role"],
        "MEMBER"
    );
}

#[tokio::test]
async fn an_unverified_account_cannot_use_a_hand_shared_email_invitation_nor_list_it() {
    let sink = SmtpSink::start();
    let (app, alice) = acme_mailing_to(&sink, |_| {}).await;
    let shared = create_org_invites(
        &app,
        &alice,
        "acme",
        &["ceo@bigcorp.com"],
        json!({ "sendEmail": false }),
    )
    .await;
    let invitation = &invitations_of(&data(&shared)["createOrgInvites"])[0];
    let token = token_from_link(&str_of(&invitation["invitationLink"]));
    let (mallory, _) = register_unverified(&app, "mallory", "ceo@bigcorp.com").await;

    assert_error_code(&accept(&app, &mallory, &token).await, "EMAIL_NOT_VERIFIED");
    assert_error_code(&decline(&app, &mallory, &token).await, "EMAIL_NOT_VERIFIED");
    assert_error_code(
        &app.graphql(MY_INVITATIONS, json!({}), Some(&mallory)).await,
        "EMAIL_NOT_VERIFIED",
    );
    // Nor by id through the federation entry point: an unproven address is nobody's invitee.
    let entities = app
        .graphql(
            "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Invitation { id email } } }",
            json!({ "reps": [{ "__typename": "Invitation", "id": invitation["id"] }] }),
            Some(&mallory),
        )
        .await;
    assert_eq!(data(&entities)["_entities"], json!([null]));
    let status = app
        .graphql(
            "query($token: String!) { invitation(token: $token) { status usageCount } }",
            json!({ "token": token }),
            None,
        )
        .await;
    assert_eq!(
        data(&status)["invitation"],
        json!({ "status": "PENDING", "usageCount": 0 })
    );
}

#[tokio::test]
async fn the_invitee_who_opens_the_emailed_link_joins_in_one_step_and_is_verified() {
    let sink = SmtpSink::start();
    let (app, alice) = acme_mailing_to(&sink, |_| {}).await;
    let (bob, _) = register_unverified(&app, "bob", "bob@example.com").await;
    let created = create_org_invites(&app, &alice, "acme", &["bob@example.com"], json!({})).await;
    let invitation = &invitations_of(&data(&created)["createOrgInvites"])[0];
    assert_eq!(invitation["emailStatus"], "QUEUED");
    assert_eq!(
        invitation["invitationLink"],
        json!(null),
        "an emailed link is returned to nobody"
    );

    app.deliver_due_emails().await;
    let invitation_mail: Vec<CapturedMessage> = messages_to(&sink, "bob@example.com")
        .into_iter()
        .filter(|message| message.text().contains("/invite/"))
        .collect();
    assert_eq!(invitation_mail.len(), 1);
    let token = invitation_mail[0].invitation_token();
    let joined = accept(&app, &bob, &token).await;

    assert_eq!(
        data(&joined)["acceptInvitation"]["membership"]["role"],
        "MEMBER"
    );
    let bob_now = me(&app, &bob).await;
    assert_eq!(bob_now["emailVerified"], true);
    assert!(bob_now["emailVerifiedAt"].is_string(), "{bob_now:#}");
    // Verified now, bob lists his invitations without a second email.
    let listed = app.graphql(MY_INVITATIONS, json!({}), Some(&bob)).await;
    assert_eq!(data(&listed)["myInvitations"], json!([]));
}

#[tokio::test]
async fn a_resend_follows_the_same_rule_for_its_new_link() {
    let sink = SmtpSink::start();
    let (app, alice) = acme_mailing_to(&sink, |settings| {
        settings.rate_limits.resend_cooldown_seconds = 0;
    })
    .await;
    let (id, _) = invite_one(&app, &alice, "acme", "carol@example.com").await;
    const RESEND: &str = "mutation($input: ResendInput!) { resend(input: $input) {
        invitations { id invitationLink emailStatus } errors { code } } }";

    let emailed = app
        .graphql(
            RESEND,
            json!({ "input": { "ids": [id], "sendEmail": true } }),
            Some(&alice),
        )
        .await;
    let by_hand = app
        .graphql(
            RESEND,
            json!({ "input": { "ids": [id], "sendEmail": false } }),
            Some(&alice),
        )
        .await;

    let emailed = &data(&emailed)["resend"]["invitations"][0];
    assert_eq!(emailed["invitationLink"], json!(null));
    assert_eq!(emailed["emailStatus"], "QUEUED");
    let by_hand = &data(&by_hand)["resend"]["invitations"][0];
    let token = token_from_link(&str_of(&by_hand["invitationLink"]));
    let (carol, _) = register_unverified(&app, "carol", "carol@example.com").await;
    assert_error_code(&accept(&app, &carol, &token).await, "EMAIL_NOT_VERIFIED");
}

#[tokio::test]
async fn verification_links_work_once_only_while_the_address_is_the_accounts_and_expire() {
    let app = TestApp::spawn().await;
    let (bob, bob_id) = register_unverified(&app, "bob", "bob@example.com").await;
    let token = verification_token(&app, &bob_id).await;
    // Only the digest is stored.
    let stored = app
        .strings("SELECT token_digest FROM email_verifications", vec![])
        .await;
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);

    assert_eq!(
        data(&verify_email(&app, &token).await)["verifyEmail"]["emailVerified"],
        true
    );
    assert_error_code(&verify_email(&app, &token).await, "INVALID_TOKEN");
    assert_error_code(&verify_email(&app, "not-a-token").await, "INVALID_TOKEN");
    assert_error_code(&verify_email(&app, &"A".repeat(43)).await, "INVALID_TOKEN");
    assert_eq!(me(&app, &bob).await["emailVerified"], true);

    let (_, dave_id) = register_unverified(&app, "dave", "dave@example.com").await;
    let expired = verification_token(&app, &dave_id).await;
    app.execute(
        "UPDATE email_verifications SET expires_at = $1 WHERE user_id = $2",
        vec![
            (chrono::Utc::now() - chrono::Duration::minutes(1)).into(),
            db_id(&dave_id).into(),
        ],
    )
    .await;
    assert_error_code(&verify_email(&app, &expired).await, "TOKEN_EXPIRED");
}

#[tokio::test]
async fn changing_the_email_unverifies_it_mails_the_new_address_and_notifies_the_old() {
    let sink = SmtpSink::start();
    let (app, _alice) = acme_mailing_to(&sink, |settings| {
        settings.email_verification_cooldown_seconds = 0;
    })
    .await;
    let (bob, bob_id) = register(&app, "bob").await;
    register(&app, "carol").await;
    const UPDATE: &str =
        "mutation($email: String!) { updateEmail(email: $email) { email emailVerified } }";

    assert_error_code(
        &app.graphql(UPDATE, json!({ "email": "not an email" }), Some(&bob))
            .await,
        "BAD_USER_INPUT",
    );
    assert_error_code(
        &app.graphql(UPDATE, json!({ "email": "Carol@Example.com" }), Some(&bob))
            .await,
        "CONFLICT",
    );
    let changed = app
        .graphql(
            UPDATE,
            json!({ "email": " Robert@Example.com " }),
            Some(&bob),
        )
        .await;

    assert_eq!(
        data(&changed)["updateEmail"],
        json!({ "email": "robert@example.com", "emailVerified": false })
    );
    let new_token = verification_token(&app, &bob_id).await;
    app.deliver_due_emails().await;
    let to_new = messages_to(&sink, "robert@example.com");
    assert_eq!(to_new.len(), 1);
    assert_eq!(
        token_of_verification_link(&verification_link(&to_new[0])),
        new_token
    );
    let to_old = messages_to(&sink, "bob@example.com");
    assert_eq!(to_old.len(), 1, "one notice to the old address");
    assert!(
        to_old[0].text().contains("r***@example.com"),
        "{}",
        to_old[0].text()
    );
    assert!(!to_old[0].text().contains("/verify-email/"));
    assert_eq!(
        data(&verify_email(&app, &new_token).await)["verifyEmail"]["emailVerified"],
        true
    );
}

#[tokio::test]
async fn a_link_for_an_address_the_account_no_longer_has_does_not_verify() {
    let app =
        TestApp::spawn_with(|settings| settings.email_verification_cooldown_seconds = 0).await;
    let (bob, bob_id) = register_unverified(&app, "bob", "bob@example.com").await;
    let old_token = verification_token(&app, &bob_id).await;
    app.graphql(
        "mutation { updateEmail(email: \"bob@elsewhere.com\") { id } }",
        json!({}),
        Some(&bob),
    )
    .await;

    assert_error_code(&verify_email(&app, &old_token).await, "INVALID_TOKEN");
    assert_eq!(me(&app, &bob).await["emailVerified"], false);
}

#[tokio::test]
async fn requesting_a_verification_email_is_held_to_a_cooldown_and_replaces_the_undelivered_one() {
    let app = TestApp::spawn().await;
    let (bob, bob_id) = register_unverified(&app, "bob", "bob@example.com").await;
    const REQUEST: &str = "mutation { requestEmailVerification { emailVerified } }";

    let too_soon = app.graphql(REQUEST, json!({}), Some(&bob)).await;

    assert_error_code(&too_soon, "RATE_LIMITED");
    let retry_after = too_soon["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .expect("retryAfter");
    assert!((1..=60).contains(&retry_after), "retryAfter {retry_after}");
    assert_error_code(
        &app.graphql(REQUEST, json!({}), None).await,
        "UNAUTHENTICATED",
    );

    let later = app
        .sibling_with(|settings| settings.email_verification_cooldown_seconds = 0)
        .await;
    let first = verification_token(&later, &bob_id).await;
    let again = later.graphql(REQUEST, json!({}), Some(&bob)).await;
    assert_eq!(
        data(&again)["requestEmailVerification"]["emailVerified"],
        false
    );
    let second = verification_token(&later, &bob_id).await;
    assert_ne!(first, second);
    // The first message had not gone out: it is cancelled and its link erased.
    assert_eq!(
        later
            .count(
                "SELECT COUNT(*) FROM email_outbox WHERE user_id = $1 AND status = 'QUEUED'",
                vec![db_id(&bob_id).into()],
            )
            .await,
        1
    );
    // Verified accounts get nothing more.
    verify_email(&later, &second).await;
    let verified = later.graphql(REQUEST, json!({}), Some(&bob)).await;
    assert_eq!(
        data(&verified)["requestEmailVerification"]["emailVerified"],
        true
    );
    assert_eq!(later.rows("email_verifications").await, 2);
}

#[tokio::test]
async fn only_server_admins_set_whether_an_email_is_verified() {
    let app = TestApp::spawn().await;
    let (root, _) = register(&app, "root").await;
    let (bob, bob_id) = register_unverified(&app, "bob", "bob@example.com").await;
    const SET: &str = "mutation($id: ID!, $verified: Boolean!) {
        setEmailVerified(userId: $id, verified: $verified) { id emailVerified } }";

    assert_error_code(
        &app.graphql(SET, json!({ "id": bob_id, "verified": true }), Some(&bob))
            .await,
        "FORBIDDEN",
    );
    assert_error_code(
        &app.graphql(SET, json!({ "id": bob_id, "verified": true }), None)
            .await,
        "UNAUTHENTICATED",
    );
    assert_error_code(
        &app.graphql(
            SET,
            json!({ "id": "999999", "verified": true }),
            Some(&root),
        )
        .await,
        "NOT_FOUND",
    );
    let set = app
        .graphql(SET, json!({ "id": bob_id, "verified": true }), Some(&root))
        .await;
    assert_eq!(
        data(&set)["setEmailVerified"],
        json!({ "id": bob_id, "emailVerified": true })
    );
    assert_eq!(me(&app, &bob).await["emailVerified"], true);
    let unset = app
        .graphql(SET, json!({ "id": bob_id, "verified": false }), Some(&root))
        .await;
    assert_eq!(data(&unset)["setEmailVerified"]["emailVerified"], false);
}

#[tokio::test]
async fn registering_with_the_emailed_token_verifies_and_joins_while_a_hand_shared_one_is_refused()
{
    let sink = SmtpSink::start();
    let (open, alice) = acme_mailing_to(&sink, |_| {}).await;
    let closed = open
        .sibling_with(|settings| settings.registration_mode = RegistrationMode::InvitationOnly)
        .await;
    invite(&open, &alice, "acme", &["erin@example.com"]).await;
    open.deliver_due_emails().await;
    let emailed = messages_to(&sink, "erin@example.com")[0].invitation_token();
    let shared = create_org_invites(
        &open,
        &alice,
        "acme",
        &["frank@example.com"],
        json!({ "sendEmail": false }),
    )
    .await;
    let shared = token_from_link(&str_of(
        &invitations_of(&data(&shared)["createOrgInvites"])[0]["invitationLink"],
    ));
    const REGISTER_WITH: &str = "mutation($input: RegisterInput!) { register(input: $input) {
        user { emailVerified memberships { role organization { name } } } } }";

    let erin = closed
        .graphql(
            REGISTER_WITH,
            json!({ "input": { "username": "erin", "email": "erin@example.com",
                               "password": PASSWORD, "invitationToken": emailed } }),
            None,
        )
        .await;
    let frank = closed
        .graphql(
            REGISTER_WITH,
            json!({ "input": { "username": "frank", "email": "frank@example.com",
                               "password": PASSWORD, "invitationToken": shared } }),
            None,
        )
        .await;

    assert_eq!(
        data(&erin)["register"]["user"],
        json!({ "emailVerified": true,
                "memberships": [{ "role": "MEMBER", "organization": { "name": "acme" } }] })
    );
    assert_error_code(&frank, "EMAIL_NOT_VERIFIED");
    assert_eq!(
        closed
            .count(
                "SELECT COUNT(*) FROM users WHERE username = 'frank'",
                vec![]
            )
            .await,
        0,
        "nothing half-written"
    );
    // Erin proved her address with the invitation: no verification email for her.
    assert_eq!(
        closed
            .count(
                "SELECT COUNT(*) FROM email_outbox o JOIN users u ON u.id = o.user_id \
                 WHERE u.username = 'erin'",
                vec![],
            )
            .await,
        0
    );
}

#[tokio::test]
async fn an_open_link_without_a_domain_list_takes_unverified_accounts() {
    let (app, alice, _) = acme_and_bob().await;
    let (_, token) = create_link(&app, &alice, "acme", Some(5)).await;
    let (newcomer, _) = register_unverified(&app, "newcomer", "newcomer@anywhere.test").await;

    let joined = accept(&app, &newcomer, &token).await;

    assert_eq!(
        data(&joined)["acceptInvitation"]["membership"]["role"],
        "MEMBER"
    );
    assert_eq!(me(&app, &newcomer).await["emailVerified"], false);
}

#[tokio::test]
async fn server_info_names_the_sign_in_methods_and_verification_is_private() {
    let app = TestApp::spawn().await;
    // The first account is server admin and sees everyone: take the second as the org admin.
    register(&app, "root").await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (bob, _) = register(&app, "bob").await;
    let info = app
        .graphql("{ serverInfo { signInMethods } }", json!({}), None)
        .await;
    assert_eq!(
        data(&info)["serverInfo"]["signInMethods"],
        json!(["PASSWORD"])
    );

    // Bob's verification is his own business until he joins alice's organization.
    let bob_id = str_of(&me(&app, &bob).await["id"]);
    const BOB: &str = "query($reps: [_Any!]!) { _entities(representations: $reps) {
        ... on User { email emailVerified emailVerifiedAt } } }";
    let reps = json!({ "reps": [{ "__typename": "User", "id": bob_id }] });
    let outsider = app.graphql(BOB, reps.clone(), Some(&alice)).await;
    assert_eq!(data(&outsider)["_entities"], json!([null]));
    let invites = invite(&app, &alice, "acme", &["bob@example.com"]).await;
    data(&accept(&app, &bob, &token_from_link(&invites[0].1)).await);
    let member = app.graphql(BOB, reps, Some(&alice)).await;
    let member = &data(&member)["_entities"][0];
    assert_eq!(member["email"], "bob@example.com");
    assert_eq!(member["emailVerified"], true);
    assert!(member["emailVerifiedAt"].is_string(), "{member:#}");
}

#[tokio::test]
async fn an_upgrade_verifies_server_admins_only_and_keeps_queued_mail() {
    const AT: &str = "'2026-11-30T10:00:00+00:00'";
    let seed = [
        format!(
            "INSERT INTO users (username, email, password_hash, is_server_admin, created_at) \
             VALUES ('root', 'root@example.com', 'x', TRUE, {AT}), \
                    ('bob', 'bob@example.com', 'x', FALSE, {AT})"
        ),
        format!(
            "INSERT INTO organizations (name, members_can_invite, created_by, created_at) \
             SELECT 'acme', FALSE, id, {AT} FROM users WHERE username = 'root'"
        ),
        format!(
            "INSERT INTO invitations (action, organization_id, role, email, \
                allowed_email_domains, max_uses, usage_count, status, expires_at, invited_by, \
                token_digest, email_status, send_count, email_attempts, created_at, updated_at) \
             SELECT 'JOIN_ORG', o.id, 'MEMBER', 'carol@example.com', '', 1, 0, 'PENDING', \
                '2099-01-01T00:00:00+00:00', o.created_by, 'digest-of-an-old-token', 'QUEUED', \
                0, 0, {AT}, {AT} FROM organizations o"
        ),
        format!(
            "INSERT INTO email_outbox (invitation_id, recipient, subject, status, attempts, \
                next_attempt_at, created_at, link) \
             SELECT id, 'carol@example.com', 'You are invited', 'QUEUED', 0, {AT}, {AT}, \
                'http://doorman.test/invite/old' FROM invitations"
        ),
    ];
    let seed: Vec<&str> = seed.iter().map(String::as_str).collect();

    let app = TestApp::spawn_upgraded(4, &seed).await;

    assert_eq!(
        app.strings(
            "SELECT username FROM users WHERE email_verified_at IS NOT NULL",
            vec![]
        )
        .await,
        ["root"]
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM invitations WHERE link_disclosed = TRUE",
            vec![]
        )
        .await,
        1
    );
    assert_eq!(
        app.strings(
            "SELECT kind || ' ' || recipient || ' ' || link FROM email_outbox",
            vec![]
        )
        .await,
        ["INVITATION carol@example.com http://doorman.test/invite/old"]
    );
    // The upgraded outbox takes account mail.
    let (_, dave_id) = register_unverified(&app, "dave", "dave@example.com").await;
    verification_token(&app, &dave_id).await;
    assert_eq!(app.rows("email_outbox").await, 2);
}
