//! The organization's audit log and what follows from it (`service/audit.rs`,
//! `service/administration.rs`, `service/retention.rs`): membership and settings changes are
//! events with their before and after; `orgEvents` pages through them newest first with
//! filters at a cost that does not grow with the page, and its rows are the ones the
//! subscription delivered; an admin who is demoted or removed stops hearing the feed at once;
//! deleting an organization cancels what was pending and frees its name; settings give new
//! invitations their defaults; retention removes old events and erases closed invitations.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use crate::support::ws::{Protocol, WsClient};
use crate::support::*;

const ORG_EVENTS: &str = "query($org: String!, $kinds: [OrgEventKind!], $actor: ID,
    $since: DateTime, $until: DateTime, $first: Int, $after: String) {
  orgEvents(org: { name: $org }, kinds: $kinds, actor: $actor, since: $since, until: $until,
            first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id kind at actor { username } subject { username } invitation { id email }
            changes { field before after } } } }";

const ORG_EVENTS_FEED: &str = "subscription($org: String!) {
  orgEvents(org: { name: $org }) { id kind actor { username } subject { username }
    invitation { id } changes { field before after } } }";

const UPDATE_ORGANIZATION: &str = "mutation($org: String!, $input: UpdateOrganizationInput!) {
  updateOrganization(org: { name: $org }, input: $input) {
    name displayName membersCanInvite defaultInviteRole defaultInviteExpiryHours
    defaultAllowedEmailDomains } }";

async fn org_events(app: &TestApp, token: &str, variables: Json) -> Json {
    app.graphql(ORG_EVENTS, variables, Some(token)).await
}

fn nodes(response: &Json) -> Vec<Json> {
    data(response)["orgEvents"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no events in {response:#}"))
        .clone()
}

async fn user_id(app: &TestApp, token: &str) -> String {
    str_of(&data(&app.graphql("{ me { id } }", json!({}), Some(token)).await)["me"]["id"])
}

async fn update_organization(app: &TestApp, token: &str, org: &str, input: Json) -> Json {
    app.graphql(
        UPDATE_ORGANIZATION,
        json!({ "org": org, "input": input }),
        Some(token),
    )
    .await
}

/// `token`'s connection subscribed to `orgEvents` and `invitationEvents` of `org` as "events"
/// and "invitations", both heard live once this returns: `token` creates links in `org` until
/// each feed has delivered the newest one (a feed starts when its subscriber's rights are
/// checked, which a later subscription on the connection may pass first). Returns the
/// connection, with those deliveries read, and how many links it took.
async fn feeds_of(app: &TestApp, token: &str, org: &str) -> (WsClient, usize) {
    let mut client = WsClient::connect_as(app, Protocol::TransportWs, token).await;
    client
        .subscribe("events", ORG_EVENTS_FEED, json!({ "org": org }))
        .await;
    client
        .subscribe(
            "invitations",
            "subscription($org: String!) { invitationEvents(org: { name: $org }) {
                kind invitation { id } } }",
            json!({ "org": org }),
        )
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut links = 0;
    loop {
        let (probe, _) = create_link(app, token, org, None).await;
        links += 1;
        let mut heard = 0;
        for (operation, field) in [("events", "orgEvents"), ("invitations", "invitationEvents")] {
            while let Some(message) = client
                .try_message_for(operation, Duration::from_millis(250))
                .await
            {
                assert_eq!(message["type"], "next", "{message:#}");
                if message["payload"]["data"][field]["invitation"]["id"] == probe.as_str() {
                    heard += 1;
                    break;
                }
            }
        }
        if heard == 2 {
            return (client, links);
        }
        assert!(
            Instant::now() < deadline,
            "the feeds of {org} heard nothing within 10 s"
        );
    }
}

#[tokio::test]
async fn membership_and_settings_changes_are_logged_with_their_before_and_after() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let bob = add_member(&app, &alice, "acme", "bob", "MEMBER").await;
    let carol = add_member(&app, &alice, "acme", "carol", "MEMBER").await;
    let dave = add_member(&app, &alice, "acme", "dave", "MEMBER").await;
    let (bob_id, carol_id) = (user_id(&app, &bob).await, user_id(&app, &carol).await);

    let promoted = app
        .graphql(
            "mutation($user: ID!) { updateMemberRole(org: { name: \"acme\" }, userId: $user,
                role: ADMIN) { role } }",
            json!({ "user": bob_id }),
            Some(&alice),
        )
        .await;
    data(&promoted);
    let removed = app
        .graphql(
            "mutation($user: ID!) { removeMember(org: { name: \"acme\" }, userId: $user) }",
            json!({ "user": carol_id }),
            Some(&bob),
        )
        .await;
    data(&removed);
    data(
        &app.graphql(
            "mutation { leaveOrganization(org: { name: \"acme\" }) }",
            json!({}),
            Some(&dave),
        )
        .await,
    );
    data(
        &update_organization(
            &app,
            &alice,
            "acme",
            json!({ "displayName": "Acme Inc", "membersCanInvite": true }),
        )
        .await,
    );
    // A change to nothing is no event.
    data(&update_organization(&app, &alice, "acme", json!({ "membersCanInvite": true })).await);

    let response = org_events(&app, &alice, json!({ "org": "acme", "first": 4 })).await;
    let events = nodes(&response);
    let summary: Vec<Json> = events
        .iter()
        .map(|event| {
            json!([
                event["kind"],
                event["actor"]["username"],
                event["subject"]["username"],
                event["changes"]
            ])
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            json!(["ORG_UPDATED", "alice", null, [
                { "field": "displayName", "before": null, "after": "Acme Inc" },
                { "field": "membersCanInvite", "before": "false", "after": "true" }]]),
            json!(["MEMBER_LEFT", "dave", "dave", [
                { "field": "role", "before": "MEMBER", "after": null }]]),
            json!(["MEMBER_REMOVED", "bob", "carol", [
                { "field": "role", "before": "MEMBER", "after": null }]]),
            json!(["MEMBER_ROLE_CHANGED", "alice", "bob", [
                { "field": "role", "before": "MEMBER", "after": "ADMIN" }]]),
        ]
    );
    // Three invitations were created and accepted before: 4 + 6 events in all.
    assert_eq!(data(&response)["orgEvents"]["totalCount"], 10);
    let accepted = org_events(
        &app,
        &alice,
        json!({ "org": "acme", "kinds": ["ACCEPTED"] }),
    )
    .await;
    let accepted = nodes(&accepted);
    assert_eq!(accepted.len(), 3);
    assert!(accepted.iter().all(|event| {
        event["invitation"]["email"].as_str().is_some() && event["changes"] == json!([])
    }));
    // Demoted to member, bob no longer reads the log.
    assert_error_code(
        &org_events(&app, &carol, json!({ "org": "acme" })).await,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn the_log_pages_through_1000_events_with_filters_at_a_fixed_cost_and_matches_the_feed() {
    let app = TestApp::spawn().await;
    let (alice, alice_id) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let bob = add_member(&app, &alice, "acme", "bob", "ADMIN").await;
    let (mut feed, links) = feeds_of(&app, &alice, "acme").await;

    // 1,000 events: 500 invitations by alice and 480 by bob, then 20 cancelled by alice.
    let mut cancelled = Vec::new();
    for (token, who, count) in [(&alice, "a", 500), (&bob, "b", 480)] {
        for batch in 0..count / 100 + usize::from(count % 100 != 0) {
            let emails: Vec<String> = (batch * 100..((batch + 1) * 100).min(count))
                .map(|n| format!("{who}{n}@example.com"))
                .collect();
            let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
            // Emailed: no link comes back for the log guard to look for in every log line.
            let response = create_org_invites(&app, token, "acme", &emails, json!({})).await;
            if cancelled.len() < 20 {
                for invitation in invitations_of(&data(&response)["createOrgInvites"]) {
                    if cancelled.len() < 20 {
                        cancelled.push(str_of(&invitation["id"]));
                    }
                }
            }
        }
    }
    for id in &cancelled {
        data(&cancel(&app, &alice, id).await);
    }

    // What the feed delivered, in order.
    let mut delivered = Vec::new();
    while delivered.len() < 1000 {
        let event = feed.next_data("events").await;
        delivered.push(str_of(&event["orgEvents"]["id"]));
    }
    feed.assert_nothing_for("events", Duration::from_millis(300))
        .await;

    // The log, page by page, newest first: the same rows.
    let mut logged = Vec::new();
    let mut after: Option<String> = None;
    let mut costs = BTreeSet::new();
    loop {
        let variables = json!({ "org": "acme", "first": 100, "after": after });
        let before = metric(&app, "doorman_db_statements_total").await;
        let response = org_events(&app, &alice, variables).await;
        costs.insert((metric(&app, "doorman_db_statements_total").await - before) as i64);
        let page = &data(&response)["orgEvents"];
        logged.extend(nodes(&response).iter().map(|node| str_of(&node["id"])));
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = Some(str_of(&page["pageInfo"]["endCursor"]));
    }
    // The two events of bob joining and the links that showed the feed live came before the
    // feed's: the log has them beyond the feed's.
    let events_before_feed = 2 + links;
    assert_eq!(logged.len(), 1000 + events_before_feed);
    logged.truncate(1000);
    logged.reverse();
    assert_eq!(logged, delivered);
    assert_eq!(costs.len(), 1, "pages cost different statements: {costs:?}");

    // Filters: alice's cancellations, bob's invitations, a time window; each page costs the
    // same as an unfiltered one.
    let filtered = [
        (json!({ "kinds": ["CANCELLED"], "actor": alice_id }), 20),
        (
            json!({ "kinds": ["CREATED"], "actor": user_id(&app, &bob).await }),
            480,
        ),
        (
            json!({ "kinds": ["CREATED", "CANCELLED"] }),
            1000 + 1 + links,
        ),
    ];
    for (filter, total) in filtered {
        let mut variables = json!({ "org": "acme", "first": 100 });
        variables
            .as_object_mut()
            .unwrap()
            .extend(filter.as_object().unwrap().clone());
        let before = metric(&app, "doorman_db_statements_total").await;
        let response = org_events(&app, &alice, variables).await;
        let cost = (metric(&app, "doorman_db_statements_total").await - before) as i64;
        assert_eq!(
            data(&response)["orgEvents"]["totalCount"],
            total,
            "{filter}"
        );
        assert!(
            costs.contains(&cost),
            "{filter} cost {cost}, pages {costs:?}"
        );
    }
    let newest = nodes(&org_events(&app, &alice, json!({ "org": "acme", "first": 1 })).await);
    let at = str_of(&newest[0]["at"]);
    let until_newest = org_events(&app, &alice, json!({ "org": "acme", "until": at })).await;
    let since_newest = org_events(&app, &alice, json!({ "org": "acme", "since": at })).await;
    let count = |response: &Json| data(response)["orgEvents"]["totalCount"].as_i64().unwrap();
    assert_eq!(
        count(&until_newest) + count(&since_newest),
        1002 + links as i64
    );
    assert!(count(&since_newest) >= 1);
    assert_error_code(
        &org_events(
            &app,
            &alice,
            json!({ "org": "acme", "since": at, "until": at }),
        )
        .await,
        "BAD_USER_INPUT",
    );
}

/// An admin's feeds of `org` end with `code` within a second of `act`, and their next
/// request for the log is refused with `then`.
async fn feeds_end_when(
    app: &TestApp,
    subscriber: &str,
    act: impl std::future::Future<Output = Json>,
    code: &str,
    then: &str,
) {
    let (mut feed, _) = feeds_of(app, subscriber, "acme").await;
    data(&act.await);
    let started = Instant::now();
    for operation in ["events", "invitations"] {
        let message = feed
            .try_message_for(operation, Duration::from_secs(1))
            .await
            .unwrap_or_else(|| panic!("{operation} went on for a second"));
        assert_eq!(message["type"], "next", "{message:#}");
        assert_eq!(
            message["payload"]["errors"][0]["extensions"]["code"], code,
            "{message:#}"
        );
        let completed = feed.message_for(operation).await;
        assert_eq!(completed["type"], "complete");
    }
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_error_code(
        &org_events(app, subscriber, json!({ "org": "acme" })).await,
        then,
    );
}

#[tokio::test]
async fn an_admin_demoted_or_removed_stops_hearing_the_feeds_within_a_second() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let bob = add_member(&app, &alice, "acme", "bob", "ADMIN").await;
    let carol = add_member(&app, &alice, "acme", "carol", "ADMIN").await;
    let (bob_id, carol_id) = (user_id(&app, &bob).await, user_id(&app, &carol).await);

    let demote = app.graphql(
        "mutation($user: ID!) { updateMemberRole(org: { name: \"acme\" }, userId: $user,
            role: MEMBER) { role } }",
        json!({ "user": bob_id }),
        Some(&alice),
    );
    feeds_end_when(&app, &bob, demote, "FORBIDDEN", "FORBIDDEN").await;

    let remove = app.graphql(
        "mutation($user: ID!) { removeMember(org: { name: \"acme\" }, userId: $user) }",
        json!({ "user": carol_id }),
        Some(&alice),
    );
    feeds_end_when(&app, &carol, remove, "FORBIDDEN", "NOT_FOUND").await;
}

#[tokio::test]
async fn deleting_an_organization_cancels_its_invitations_stops_their_emails_and_frees_its_name() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    let acme_id = create_org(&app, &alice, "acme").await;
    let mel = add_member(&app, &alice, "acme", "mel", "MEMBER").await;
    let emailed = create_org_invites(&app, &alice, "acme", &["ivy@example.com"], json!({})).await;
    let emailed = invitations_of(&data(&emailed)["createOrgInvites"])[0].clone();
    let emailed_token = token_from_link(&link_of(&app, &emailed).await);
    let (_, link_token) = create_link(&app, &alice, "acme", None).await;
    let (ivy, _) = register(&app, "ivy").await;
    let (mut feed, links) = feeds_of(&app, &alice, "acme").await;

    let deleted = app
        .graphql(
            "mutation { deleteOrganization(org: { name: \"acme\" }) }",
            json!({}),
            Some(&alice),
        )
        .await;
    assert_eq!(data(&deleted)["deleteOrganization"], true);

    // The feeds end: there is no organization any more.
    for operation in ["events", "invitations"] {
        let message = feed.message_for(operation).await;
        assert_eq!(
            message["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{message:#}"
        );
    }
    // Its pending invitations are cancelled, their undelivered email stopped.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM invitations WHERE organization_id = $1 AND status = 'PENDING'",
            vec![db_id(&acme_id).into()],
        )
        .await,
        0
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM email_outbox WHERE status IN ('QUEUED', 'SENDING')",
            vec![],
        )
        .await,
        0
    );
    for token in [&emailed_token, &link_token] {
        assert_error_code(&accept(&app, &ivy, token).await, "INVITATION_CANCELLED");
    }
    // Nobody reaches it, by name or id; its members are members no more.
    for selector in [json!({ "name": "acme" }), json!({ "id": acme_id })] {
        let found = app
            .graphql(
                "query($org: OrgSelector!) { organization(org: $org) { id } }",
                json!({ "org": selector }),
                Some(&alice),
            )
            .await;
        assert_eq!(data(&found)["organization"], json!(null));
    }
    let memberships = app
        .graphql(
            "{ me { memberships { organization { name } } } }",
            json!({}),
            Some(&mel),
        )
        .await;
    assert_eq!(data(&memberships)["me"]["memberships"], json!([]));
    // The name is free again, for a new organization with a new id.
    let again = create_org(&app, &mel, "acme").await;
    assert_ne!(again, acme_id);
    // The log keeps the deletion, with the name and what was cancelled.
    let changes: String = app
        .strings(
            "SELECT changes FROM invitation_events WHERE organization_id = $1 \
             AND kind = 'ORG_DELETED'",
            vec![db_id(&acme_id).into()],
        )
        .await
        .remove(0);
    let changes: Json = serde_json::from_str(&changes).unwrap();
    let pending = (2 + links).to_string();
    assert_eq!(
        changes,
        json!([{ "field": "name", "before": "acme", "after": null },
               { "field": "pendingInvitations", "before": pending, "after": "0" }])
    );
}

#[tokio::test]
async fn an_organizations_defaults_shape_new_invitations() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;

    let updated = update_organization(
        &app,
        &alice,
        "acme",
        json!({ "defaultInviteRole": "VISITOR", "defaultInviteExpiryHours": 48,
                "defaultAllowedEmailDomains": ["Example.com", "example.org"] }),
    )
    .await;
    assert_eq!(
        data(&updated)["updateOrganization"],
        json!({ "name": "acme", "displayName": null, "membersCanInvite": false,
                "defaultInviteRole": "VISITOR", "defaultInviteExpiryHours": 48,
                "defaultAllowedEmailDomains": ["example.com", "example.org"] })
    );

    let link = create_invite_link(&app, &alice, "acme", json!({})).await;
    let link = &data(&link)["createInviteLink"];
    assert_eq!(link["role"], "VISITOR");
    let hours = (parse_time(&link["expiresAt"]) - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!((47.9..=48.0).contains(&hours), "expires in {hours} hours");
    let domains = app
        .graphql(
            "{ orgInvitations(org: { name: \"acme\" }, first: 1) { nodes { id allowedEmailDomains } } }",
            json!({}),
            Some(&alice),
        )
        .await;
    assert_eq!(
        data(&domains)["orgInvitations"]["nodes"][0],
        json!({ "id": link["id"], "allowedEmailDomains": ["example.com", "example.org"] })
    );
    // What a request names wins over the defaults; `[]` opens a link to any domain.
    let named = create_invite_link(
        &app,
        &alice,
        "acme",
        json!({ "role": "MEMBER", "allowedEmailDomains": [], "expiresAt": from_now(chrono::Duration::hours(1)) }),
    )
    .await;
    assert_eq!(data(&named)["createInviteLink"]["role"], "MEMBER");
    let emailed = create_org_invites(
        &app,
        &alice,
        "acme",
        &["ivy@example.com"],
        json!({ "sendEmail": false }),
    )
    .await;
    assert_eq!(
        invitations_of(&data(&emailed)["createOrgInvites"])[0]["role"],
        "VISITOR"
    );
    // Null goes back to the server's default expiry (7 days).
    data(
        &update_organization(
            &app,
            &alice,
            "acme",
            json!({ "defaultInviteExpiryHours": null }),
        )
        .await,
    );
    let link = create_invite_link(&app, &alice, "acme", json!({})).await;
    let days = (parse_time(&data(&link)["createInviteLink"]["expiresAt"]) - chrono::Utc::now())
        .num_hours();
    assert!((167..=168).contains(&days), "expires in {days} hours");

    for bad in [
        json!({ "defaultInviteRole": "ADMIN" }),
        json!({ "defaultInviteExpiryHours": 0 }),
        json!({ "defaultInviteExpiryHours": 30 * 24 + 1 }),
        json!({ "defaultInviteExpiryHours": -5 }),
        json!({ "defaultAllowedEmailDomains": ["not a domain"] }),
    ] {
        assert_error_code(
            &update_organization(&app, &alice, "acme", bad.clone()).await,
            "BAD_USER_INPUT",
        );
    }
}

#[tokio::test]
async fn retention_deletes_old_events_and_erases_invitations_closed_long_ago() {
    let app = TestApp::spawn_with(|settings| {
        settings.retention.retention_events_days = Some(30);
        settings.retention.retention_closed_invitations_days = Some(7);
        settings.retention.retention_interval_seconds = 1;
    })
    .await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (bob, _) = register_email(&app, "bob", "bob@example.com").await;
    let emails = [
        "old-cancel@example.com",
        "old-decline@example.com",
        "old-expired@example.com",
        "new-cancel@example.com",
        "bob@example.com",
    ];
    let created = create_org_invites(&app, &alice, "acme", &emails, json!({})).await;
    let ids: Vec<String> = invitations_of(&data(&created)["createOrgInvites"])
        .iter()
        .map(|invitation| str_of(&invitation["id"]))
        .collect();
    let bobs = invitations_of(&data(&created)["createOrgInvites"])[4].clone();
    data(&accept(&app, &bob, &token_from_link(&link_of(&app, &bobs).await)).await);
    data(&cancel(&app, &alice, &ids[0]).await);
    data(&cancel(&app, &alice, &ids[3]).await);
    app.execute(
        "UPDATE invitations SET status = 'DECLINED' WHERE id = $1",
        vec![db_id(&ids[1]).into()],
    )
    .await;
    // Closed eight days ago, except the one cancelled just now; one expired eight days ago.
    let eight_days_ago = chrono::Utc::now() - chrono::Duration::days(8);
    for id in &ids[..2] {
        app.execute(
            "UPDATE invitations SET updated_at = $1 WHERE id = $2",
            vec![eight_days_ago.into(), db_id(id).into()],
        )
        .await;
    }
    app.execute(
        "UPDATE invitations SET expires_at = $1 WHERE id = $2",
        vec![eight_days_ago.into(), db_id(&ids[2]).into()],
    )
    .await;
    // Half the events are 31 days old.
    let events = app.rows("invitation_events").await;
    app.execute(
        "UPDATE invitation_events SET created_at = $1 WHERE id IN \
         (SELECT id FROM invitation_events ORDER BY id LIMIT 4)",
        vec![(chrono::Utc::now() - chrono::Duration::days(31)).into()],
    )
    .await;

    let deadline = Instant::now() + Duration::from_secs(10);
    while app.rows("invitation_events").await != events - 4 {
        assert!(Instant::now() < deadline, "old events were not deleted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let erased = || async {
        app.strings(
            "SELECT CAST(id AS TEXT) FROM invitations WHERE email IS NULL ORDER BY id",
            vec![],
        )
        .await
    };
    while erased().await.len() < 3 {
        assert!(
            Instant::now() < deadline,
            "closed invitations were not erased"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let expected: Vec<String> = ids[..3].iter().map(|id| db_id(id).to_string()).collect();
    assert_eq!(erased().await, expected);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM email_outbox WHERE recipient LIKE 'old-%'",
            vec![],
        )
        .await,
        0
    );
    // The one that expired can never be used or resent: it is cancelled.
    assert_eq!(
        app.strings(
            "SELECT status FROM invitations WHERE id = $1",
            vec![db_id(&ids[2]).into()],
        )
        .await,
        vec!["CANCELLED".to_owned()]
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM invitations WHERE email IS NOT NULL",
            vec![],
        )
        .await,
        2
    );
}

#[tokio::test]
async fn an_upgrade_keeps_the_log_and_gives_organizations_the_server_defaults() {
    const AT: &str = "'2026-12-01T10:00:00+00:00'";
    let seed = [
        format!(
            "INSERT INTO users (username, email, password_hash, is_server_admin, created_at) \
             VALUES ('root', 'root@example.com', 'x', TRUE, {AT})"
        ),
        format!(
            "INSERT INTO organizations (name, members_can_invite, created_by, created_at) \
             SELECT 'acme', FALSE, id, {AT} FROM users"
        ),
        format!(
            "INSERT INTO invitations (action, organization_id, role, email, \
                allowed_email_domains, max_uses, usage_count, status, expires_at, invited_by, \
                token_digest, email_status, send_count, email_attempts, created_at, updated_at) \
             SELECT 'JOIN_ORG', o.id, 'MEMBER', 'carol@example.com', '', 1, 0, 'PENDING', \
                '2099-01-01T00:00:00+00:00', o.created_by, 'digest-of-an-old-token', \
                'NOT_REQUESTED', 0, 0, {AT}, {AT} FROM organizations o"
        ),
        format!(
            "INSERT INTO invitation_events (invitation_id, organization_id, kind, actor_id, \
                created_at) \
             SELECT id, organization_id, 'CREATED', invited_by, {AT} FROM invitations"
        ),
    ];
    let seed: Vec<&str> = seed.iter().map(String::as_str).collect();

    let app = TestApp::spawn_upgraded(5, &seed).await;

    let (alice, alice_id) = register(&app, "alice").await;
    app.execute(
        "INSERT INTO memberships (organization_id, user_id, role, joined_at) \
         SELECT id, $1, 'ADMIN', created_at FROM organizations",
        vec![db_id(&alice_id).into()],
    )
    .await;
    let acme = app
        .graphql(
            "{ organization(org: { name: \"acme\" }) {
                defaultInviteRole defaultInviteExpiryHours defaultAllowedEmailDomains } }",
            json!({}),
            Some(&alice),
        )
        .await;
    assert_eq!(
        data(&acme)["organization"],
        json!({ "defaultInviteRole": "MEMBER", "defaultInviteExpiryHours": null,
                "defaultAllowedEmailDomains": [] })
    );
    let log = org_events(&app, &alice, json!({ "org": "acme" })).await;
    let events = nodes(&log);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["kind"], "CREATED");
    assert_eq!(events[0]["invitation"]["email"], "carol@example.com");
    assert_eq!(events[0]["at"], "2026-12-01T10:00:00.000Z");
    // The upgraded log takes membership events.
    data(&update_organization(&app, &alice, "acme", json!({ "displayName": "Acme" })).await);
    assert_eq!(
        nodes(&org_events(&app, &alice, json!({ "org": "acme" })).await).len(),
        2
    );
}
