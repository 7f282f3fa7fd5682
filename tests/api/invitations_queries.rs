//! The invitation behind a token and the lists (`service/invitations/queries.rs`): what a
//! token holder sees, an organization's invitations, the invitee's `myInvitations` and the
//! server admin's `registrationInvitations`.

use serde_json::{Value, json};

use crate::support::*;

// ---- invitation(token:) ----

const ADMIN_FIELDS: &str = "query($token: String!) { invitation(token: $token) {
    emailStatus sendCount lastSentAt lastEmailError redemptions(first: 10) { totalCount } } }";

#[tokio::test]
async fn anonymous_token_holders_see_the_invitation_with_a_masked_email() {
    let (app, alice, _bob) = acme_and_bob().await;
    let (id, token) = invite_one(&app, &alice, "acme", "carol@example.com").await;

    let response = invitation(&app, &token, None).await;

    let shown: &Value = &data(&response)["invitation"];
    assert_eq!(shown["id"], id.as_str());
    assert_eq!(shown["action"], "JOIN_ORG");
    assert_eq!(shown["organization"]["name"], "acme");
    assert_eq!(shown["role"], "MEMBER");
    assert_eq!(shown["email"], json!(null));
    assert_eq!(shown["emailHint"], "c***@example.com");
    assert_eq!(shown["status"], "PENDING");
    assert_eq!(shown["maxUses"], 1);
    assert_eq!(shown["usageCount"], 0);
    assert_eq!(shown["usesRemaining"], 1);
    assert_eq!(shown["invitedBy"]["username"], "alice");
    assert_eq!(shown["isExistingUser"], false);
    assert!(parse_time(&shown["expiresAt"]) > parse_time(&shown["createdAt"]));
}

#[tokio::test]
async fn the_invitee_and_org_admins_see_the_full_email_and_others_do_not() {
    let (app, alice, bob) = acme_and_bob().await;
    let (carol, _) = register(&app, "carol").await;
    let (_, token) = invite_one(&app, &alice, "acme", "bob@example.com").await;

    let as_admin = invitation(&app, &token, Some(&alice)).await;
    let as_invitee = invitation(&app, &token, Some(&bob)).await;
    let as_other = invitation(&app, &token, Some(&carol)).await;

    assert_eq!(data(&as_admin)["invitation"]["email"], "bob@example.com");
    assert_eq!(data(&as_invitee)["invitation"]["email"], "bob@example.com");
    assert_eq!(data(&as_invitee)["invitation"]["isExistingUser"], true);
    assert_eq!(data(&as_other)["invitation"]["email"], json!(null));
    assert_eq!(
        data(&as_other)["invitation"]["emailHint"],
        "b***@example.com"
    );
}

#[tokio::test]
async fn admin_only_fields_need_a_signed_in_org_admin() {
    let (app, alice, bob) = acme_and_bob().await;
    let (_, token) = invite_one(&app, &alice, "acme", "bob@example.com").await;
    let variables = json!({ "token": token });

    let anonymous = app.graphql(ADMIN_FIELDS, variables.clone(), None).await;
    let invitee = app
        .graphql(ADMIN_FIELDS, variables.clone(), Some(&bob))
        .await;
    let admin = app.graphql(ADMIN_FIELDS, variables, Some(&alice)).await;

    assert_error_code(&anonymous, "UNAUTHENTICATED");
    assert_error_code(&invitee, "FORBIDDEN");
    let shown = &data(&admin)["invitation"];
    assert_eq!(shown["emailStatus"], "QUEUED");
    assert!(shown["sendCount"].is_i64(), "{admin:#}");
    assert_eq!(shown["redemptions"]["totalCount"], 0);
}

#[tokio::test]
async fn org_admins_see_who_redeemed_an_invitation() {
    let (app, alice, bob) = acme_and_bob().await;
    let (_, token) = create_link(&app, &alice, "acme", None).await;
    data(&accept(&app, &bob, &token).await);

    let response = app
        .graphql(ADMIN_FIELDS, json!({ "token": token }), Some(&alice))
        .await;

    assert_eq!(
        data(&response)["invitation"]["redemptions"]["totalCount"],
        1
    );
}

#[tokio::test]
async fn an_unknown_token_shows_no_invitation() {
    let app = TestApp::spawn().await;

    let response = invitation(&app, &"A".repeat(43), None).await;

    assert_eq!(data(&response)["invitation"], json!(null));
}

// ---- orgInvitations ----

const ORG_INVITATIONS: &str = "query($org: OrgSelector!, $status: [InvitationStatus!],
    $email: String, $first: Int, $after: String) {
  orgInvitations(org: $org, status: $status, email: $email, first: $first, after: $after) {
    totalCount
    edges { cursor node { id email status organization { name } invitedBy { username } } }
    pageInfo { hasNextPage endCursor } } }";

/// `orgInvitations` of acme with the arguments in `args` (absent ones take their defaults).
async fn org_invitations(app: &TestApp, token: &str, args: Value) -> Value {
    let mut variables = json!({ "org": { "name": "acme" } });
    if let (Some(variables), Some(args)) = (variables.as_object_mut(), args.as_object()) {
        variables.extend(args.clone());
    }
    app.graphql(ORG_INVITATIONS, variables, Some(token)).await
}

fn emails(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no edges in {connection:#}"))
        .iter()
        .map(|edge| str_of(&edge["node"]["email"]))
        .collect()
}

/// Invites `e1@example.com` … `e{n}@example.com` one call each, oldest first; returns ids.
async fn invite_each(app: &TestApp, token: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 1..=n {
        ids.push(
            invite_one(app, token, "acme", &format!("e{i}@example.com"))
                .await
                .0,
        );
    }
    ids
}

#[tokio::test]
async fn org_invitations_are_listed_newest_first_with_organization_and_inviter() {
    let (app, alice, _bob) = acme_and_bob().await;
    invite_each(&app, &alice, 3).await;

    let response = org_invitations(&app, &alice, json!({})).await;

    let connection = &data(&response)["orgInvitations"];
    assert_eq!(connection["totalCount"], 3);
    assert_eq!(
        emails(connection),
        ["e3@example.com", "e2@example.com", "e1@example.com"]
    );
    let node = &connection["edges"][0]["node"];
    assert_eq!(node["status"], "PENDING");
    assert_eq!(node["organization"]["name"], "acme");
    assert_eq!(node["invitedBy"]["username"], "alice");
    assert_eq!(connection["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn org_invitation_cursors_stay_valid_when_newer_invitations_arrive() {
    let (app, alice, _bob) = acme_and_bob().await;
    invite_each(&app, &alice, 5).await;

    let first = org_invitations(&app, &alice, json!({ "first": 2 })).await;
    let first = &data(&first)["orgInvitations"];
    invite(&app, &alice, "acme", &["late@example.com"]).await;
    let second = org_invitations(
        &app,
        &alice,
        json!({ "first": 2, "after": first["pageInfo"]["endCursor"] }),
    )
    .await;
    let second = &data(&second)["orgInvitations"];
    let third = org_invitations(
        &app,
        &alice,
        json!({ "first": 2, "after": second["pageInfo"]["endCursor"] }),
    )
    .await;
    let third = &data(&third)["orgInvitations"];

    assert_eq!(emails(first), ["e5@example.com", "e4@example.com"]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(emails(second), ["e3@example.com", "e2@example.com"]);
    assert_eq!(second["pageInfo"]["hasNextPage"], true);
    assert_eq!(second["totalCount"], 6);
    assert_eq!(emails(third), ["e1@example.com"]);
    assert_eq!(third["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn org_invitations_filter_by_status_including_derived_expired() {
    let (app, alice, _bob) = acme_and_bob().await;
    let ids = invite_each(&app, &alice, 3).await;
    app.expire_invitation(&ids[1]).await;
    data(&cancel(&app, &alice, &ids[2]).await);

    let pending = org_invitations(&app, &alice, json!({ "status": ["PENDING"] })).await;
    let expired = org_invitations(&app, &alice, json!({ "status": ["EXPIRED"] })).await;
    let closed = org_invitations(&app, &alice, json!({ "status": ["CANCELLED", "EXPIRED"] })).await;

    assert_eq!(
        emails(&data(&pending)["orgInvitations"]),
        ["e1@example.com"]
    );
    assert_eq!(data(&pending)["orgInvitations"]["totalCount"], 1);
    assert_eq!(
        emails(&data(&expired)["orgInvitations"]),
        ["e2@example.com"]
    );
    assert_eq!(
        data(&expired)["orgInvitations"]["edges"][0]["node"]["status"],
        "EXPIRED"
    );
    assert_eq!(
        emails(&data(&closed)["orgInvitations"]),
        ["e3@example.com", "e2@example.com"]
    );
}

#[tokio::test]
async fn org_invitations_filter_by_email() {
    let (app, alice, _bob) = acme_and_bob().await;
    invite_each(&app, &alice, 3).await;

    let response = org_invitations(&app, &alice, json!({ "email": "e2@example.com" })).await;

    let connection = &data(&response)["orgInvitations"];
    assert_eq!(emails(connection), ["e2@example.com"]);
    assert_eq!(connection["totalCount"], 1);
}

#[tokio::test]
async fn asking_for_more_than_100_org_invitations_returns_bad_user_input() {
    let (app, alice, _bob) = acme_and_bob().await;

    let response = org_invitations(&app, &alice, json!({ "first": 101 })).await;

    assert_error_code(&response, "BAD_USER_INPUT");
}

#[tokio::test]
async fn listing_org_invitations_is_forbidden_to_a_member_and_not_found_to_an_outsider() {
    let (app, alice, _bob) = acme_and_bob().await;
    let member = add_member(&app, &alice, "acme", "carol", "MEMBER").await;
    let (outsider, _) = register(&app, "dave").await;

    let by_member = org_invitations(&app, &member, json!({})).await;
    let by_outsider = org_invitations(&app, &outsider, json!({})).await;

    assert_error_code(&by_member, "FORBIDDEN");
    // To an outsider the organization does not exist.
    assert_error_code(&by_outsider, "NOT_FOUND");
}

// ---- myInvitations ----

#[tokio::test]
async fn my_invitations_lists_only_pending_invitations_for_my_email() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    let (bob, _) = register(&app, "bob").await;
    for org in ["acme", "globex", "initech", "umbrella"] {
        create_org(&app, &alice, org).await;
    }
    invite(
        &app,
        &alice,
        "acme",
        &["bob@example.com", "carol@example.com"],
    )
    .await;
    let (cancelled, _) = invite_one(&app, &alice, "globex", "bob@example.com").await;
    data(&cancel(&app, &alice, &cancelled).await);
    let (expired, _) = invite_one(&app, &alice, "initech", "bob@example.com").await;
    app.expire_invitation(&expired).await;
    let (_, accepted) = invite_one(&app, &alice, "umbrella", "bob@example.com").await;
    data(&accept(&app, &bob, &accepted).await);

    let response = app
        .graphql(
            "{ myInvitations { email status organization { name } invitedBy { username } } }",
            json!({}),
            Some(&bob),
        )
        .await;

    assert_eq!(
        data(&response)["myInvitations"],
        json!([{ "email": "bob@example.com", "status": "PENDING",
                 "organization": { "name": "acme" }, "invitedBy": { "username": "alice" } }])
    );
}

#[tokio::test]
async fn my_invitations_anonymously_returns_unauthenticated() {
    let app = TestApp::spawn().await;

    let response = app
        .graphql("{ myInvitations { id } }", json!({}), None)
        .await;

    assert_error_code(&response, "UNAUTHENTICATED");
}

// ---- registrationInvitations ----

const REGISTRATION_INVITATIONS: &str = "{ registrationInvitations(first: 10) {
    totalCount edges { node { action email } } pageInfo { hasNextPage } } }";

#[tokio::test]
async fn server_admins_list_registration_invitations_newest_first() {
    let (app, alice, _bob) = acme_and_bob().await;
    invite(&app, &alice, "acme", &["org-invite@example.com"]).await;
    for email in ["first@example.com", "second@example.com"] {
        let response = app
            .graphql(
                "mutation($input: CreateRegistrationInviteInput!) {
                    createRegistrationInvite(input: $input) { id } }",
                json!({ "input": { "email": email, "sendEmail": false } }),
                Some(&alice),
            )
            .await;
        data(&response);
    }

    let response = app
        .graphql(REGISTRATION_INVITATIONS, json!({}), Some(&alice))
        .await;

    assert_eq!(
        data(&response)["registrationInvitations"],
        json!({ "totalCount": 2,
                "edges": [
                    { "node": { "action": "REGISTER_ACCOUNT", "email": "second@example.com" } },
                    { "node": { "action": "REGISTER_ACCOUNT", "email": "first@example.com" } }
                ],
                "pageInfo": { "hasNextPage": false } })
    );
}

#[tokio::test]
async fn listing_registration_invitations_as_a_regular_user_returns_forbidden() {
    let (app, _alice, bob) = acme_and_bob().await;

    let response = app
        .graphql(REGISTRATION_INVITATIONS, json!({}), Some(&bob))
        .await;

    assert_error_code(&response, "FORBIDDEN");
}

#[tokio::test]
async fn org_invitations_filter_by_email_delivery() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let emailed = create_org_invites(
        &app,
        &alice,
        "acme",
        &["bounced@example.com", "queued@example.com"],
        json!({}),
    )
    .await;
    let bounced = str_of(&invitations_of(&data(&emailed)["createOrgInvites"])[0]["id"]);
    create_link(&app, &alice, "acme", None).await;
    app.execute(
        "UPDATE invitations SET email_status = 'FAILED' WHERE id = $1",
        vec![db_id(&bounced).into()],
    )
    .await;
    const BY_DELIVERY: &str = "query($statuses: [EmailDeliveryStatus!]) {
      orgInvitations(org: { name: \"acme\" }, emailStatus: $statuses) {
        totalCount nodes { email emailStatus } } }";
    let page = |statuses: Value| {
        let app = &app;
        let alice = &alice;
        async move {
            let response = app
                .graphql(BY_DELIVERY, json!({ "statuses": statuses }), Some(alice))
                .await;
            data(&response)["orgInvitations"].clone()
        }
    };

    assert_eq!(
        page(json!(["FAILED"])).await,
        json!({ "totalCount": 1, "nodes": [
            { "email": "bounced@example.com", "emailStatus": "FAILED" }] })
    );
    assert_eq!(
        page(json!(["QUEUED", "NOT_REQUESTED", "QUEUED"])).await["totalCount"],
        2
    );
    assert_eq!(page(json!(null)).await["totalCount"], 3);
    let too_many = app
        .graphql(
            BY_DELIVERY,
            json!({ "statuses": vec!["SENT"; 5] }),
            Some(&alice),
        )
        .await;
    assert_error_code(&too_many, "BAD_USER_INPUT");
}

/// `invitation(token) { nextStep }` as `viewer` sees it (None = anonymous).
async fn next_step(app: &TestApp, token: &str, viewer: Option<&str>) -> String {
    let response = app
        .graphql(
            "query($token: String!) { invitation(token: $token) { nextStep } }",
            json!({ "token": token }),
            viewer,
        )
        .await;
    str_of(&data(&response)["invitation"]["nextStep"])
}

#[tokio::test]
async fn the_preview_says_what_each_viewer_should_do_next() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let (bob, _) = register(&app, "bob").await;
    let shared = |email: &'static str| {
        let (app, alice) = (&app, &alice);
        async move {
            let created =
                create_org_invites(app, alice, "acme", &[email], json!({ "sendEmail": false }))
                    .await;
            let invitation = invitations_of(&data(&created)["createOrgInvites"])[0].clone();
            (
                str_of(&invitation["id"]),
                token_from_link(&str_of(&invitation["invitationLink"])),
            )
        }
    };

    // An email invitation: sign up, then sign in, then accept; someone else switches.
    let (_, carols) = shared("carol@example.com").await;
    assert_eq!(next_step(&app, &carols, None).await, "SIGN_UP");
    let (carol, _) = register(&app, "carol").await;
    assert_eq!(next_step(&app, &carols, None).await, "SIGN_IN");
    assert_eq!(next_step(&app, &carols, Some(&bob)).await, "SWITCH_ACCOUNT");
    assert_eq!(next_step(&app, &carols, Some(&carol)).await, "ACCEPT");
    data(&accept(&app, &carol, &carols).await);
    assert_eq!(
        next_step(&app, &carols, Some(&carol)).await,
        "ALREADY_MEMBER"
    );
    assert_eq!(next_step(&app, &carols, Some(&bob)).await, "REQUEST_NEW");

    // A shared link to an unproven email needs the email verified; an emailed one does not.
    let (dave, _) = register_unverified(&app, "dave", "dave@example.com").await;
    let (_, daves) = shared("dave@example.com").await;
    assert_eq!(next_step(&app, &daves, Some(&dave)).await, "VERIFY_EMAIL");
    let emailed = create_org_invites(&app, &alice, "acme", &["erin@example.com"], json!({})).await;
    let emailed = invitations_of(&data(&emailed)["createOrgInvites"])[0].clone();
    let erins = token_from_link(&link_of(&app, &emailed).await);
    let (erin, _) = register_unverified(&app, "erin", "erin@example.com").await;
    assert_eq!(next_step(&app, &erins, Some(&erin)).await, "ACCEPT");

    // Links: anyone signs in; a domain list sends others to another account.
    let (_, open) = create_link(&app, &alice, "acme", None).await;
    assert_eq!(next_step(&app, &open, None).await, "SIGN_IN");
    assert_eq!(next_step(&app, &open, Some(&bob)).await, "ACCEPT");
    assert_eq!(next_step(&app, &open, Some(&alice)).await, "ALREADY_MEMBER");
    let limited = create_invite_link(
        &app,
        &alice,
        "acme",
        json!({ "allowedEmailDomains": ["example.org"] }),
    )
    .await;
    let limited = token_from_link(&str_of(
        &data(&limited)["createInviteLink"]["invitationLink"],
    ));
    assert_eq!(
        next_step(&app, &limited, Some(&bob)).await,
        "SWITCH_ACCOUNT"
    );

    // Closed ones: ask for a new one.
    let (franks_id, franks) = shared("frank@example.com").await;
    data(&cancel(&app, &alice, &franks_id).await);
    assert_eq!(next_step(&app, &franks, None).await, "REQUEST_NEW");
    assert_eq!(next_step(&app, &franks, Some(&bob)).await, "REQUEST_NEW");
}

// ---- order and backward paging ----

const ORDERED: &str = "query($order: InvitationOrder, $first: Int, $after: String, $last: Int,
    $before: String) {
  orgInvitations(org: { name: \"acme\" }, orderBy: $order, first: $first, after: $after,
      last: $last, before: $before) {
    edges { cursor node { email } }
    pageInfo { hasNextPage hasPreviousPage } totalCount } }";

async fn ordered(app: &TestApp, token: &str, variables: Value) -> Value {
    app.graphql(ORDERED, variables, Some(token)).await
}

fn emails_of(response: &Value) -> Vec<Value> {
    data(response)["orgInvitations"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"]["email"].clone())
        .collect()
}

fn cursor_at(response: &Value, index: usize) -> String {
    str_of(&data(response)["orgInvitations"]["edges"][index]["cursor"])
}

#[tokio::test]
async fn invitations_sort_by_email_or_expiry_and_page_both_ways() {
    let (app, alice, _bob) = acme_and_bob().await;
    for (email, days) in [
        ("carol@example.com", 3),
        ("anna@example.com", 5),
        ("bert@example.com", 1),
    ] {
        let created = create_org_invites(
            &app,
            &alice,
            "acme",
            &[email],
            json!({ "expiresAt": from_now(chrono::Duration::days(days)) }),
        )
        .await;
        data(&created);
    }
    create_link(&app, &alice, "acme", None).await;
    let by_email = json!({ "field": "EMAIL", "direction": "ASC" });

    let all = ordered(&app, &alice, json!({ "order": by_email })).await;
    let first = ordered(&app, &alice, json!({ "order": by_email, "first": 2 })).await;
    let rest = ordered(
        &app,
        &alice,
        json!({ "order": by_email, "first": 2, "after": cursor_at(&first, 1) }),
    )
    .await;
    let last = ordered(&app, &alice, json!({ "order": by_email, "last": 2 })).await;
    let before = ordered(
        &app,
        &alice,
        json!({ "order": by_email, "last": 2, "before": cursor_at(&last, 0) }),
    )
    .await;
    let by_expiry = ordered(
        &app,
        &alice,
        json!({ "order": { "field": "EXPIRES_AT", "direction": "DESC" }, "first": 3 }),
    )
    .await;

    let link = Value::Null;
    let (anna, bert, carol) = (
        json!("anna@example.com"),
        json!("bert@example.com"),
        json!("carol@example.com"),
    );
    assert_eq!(
        emails_of(&all),
        [link.clone(), anna.clone(), bert.clone(), carol.clone()]
    );
    assert_eq!(emails_of(&first), [link.clone(), anna.clone()]);
    assert_eq!(emails_of(&rest), [bert.clone(), carol.clone()]);
    assert_eq!(emails_of(&last), [bert, carol.clone()]);
    assert_eq!(emails_of(&before), [link, anna.clone()]);
    // The link expires in 7 days, the default: latest first.
    assert_eq!(emails_of(&by_expiry)[1..], [anna, carol]);
    let info = |response: &Value| data(response)["orgInvitations"]["pageInfo"].clone();
    assert_eq!(
        info(&first),
        json!({ "hasNextPage": true, "hasPreviousPage": false })
    );
    assert_eq!(
        info(&rest),
        json!({ "hasNextPage": false, "hasPreviousPage": true })
    );
    assert_eq!(
        info(&last),
        json!({ "hasNextPage": false, "hasPreviousPage": true })
    );
    assert_eq!(
        info(&before),
        json!({ "hasNextPage": true, "hasPreviousPage": false })
    );
    assert_eq!(data(&last)["orgInvitations"]["totalCount"], 4);
}

#[tokio::test]
async fn a_cursor_from_another_order_or_paging_both_ways_is_refused() {
    let (app, alice, _bob) = acme_and_bob().await;
    invite(&app, &alice, "acme", &["a@example.com", "b@example.com"]).await;
    let newest = ordered(&app, &alice, json!({ "first": 1 })).await;
    let cursor = cursor_at(&newest, 0);

    let other_order = ordered(
        &app,
        &alice,
        json!({ "order": { "field": "EMAIL" }, "after": cursor }),
    )
    .await;
    let both_ways = ordered(&app, &alice, json!({ "after": cursor, "last": 1 })).await;
    let too_many = ordered(&app, &alice, json!({ "last": 101 })).await;
    let same_order = ordered(&app, &alice, json!({ "after": cursor })).await;

    assert_error_code(&other_order, "BAD_USER_INPUT");
    assert_error_code(&both_ways, "BAD_USER_INPUT");
    assert_error_code(&too_many, "BAD_USER_INPUT");
    assert_eq!(emails_of(&same_order), [json!("a@example.com")]);
}
