//! Authorization, field by field: one table names every root field (and every object field
//! whose answer depends on the caller) and what each kind of caller gets from it: data, null,
//! or an error code. Every cell runs against a real server; a run lists every cell that
//! differs, and the schema cannot grow a root field the table does not decide.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use futures_util::{StreamExt, stream};
use serde_json::{Value as Json, json};

use crate::support::ws::{EVENT_TIMEOUT, Protocol, WsClient};
use crate::support::*;

const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
const FORBIDDEN: &str = "FORBIDDEN";
const NOT_FOUND: &str = "NOT_FOUND";
const EMAIL_MISMATCH: &str = "EMAIL_MISMATCH";
const ALREADY_MEMBER: &str = "ALREADY_MEMBER";
const INVALID_TOKEN: &str = "INVALID_TOKEN";
const CONFLICT: &str = "CONFLICT";
const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
const LAST_ADMIN: &str = "LAST_ADMIN";

/// The organization whose feed tells a subscriber that its subscriptions listen
/// (`WsClient::wait_until_live`); its admin is the org admin.
const PROBE_ORG: &str = "probe";

/// How long a subscription that should be refused may take to say so before it counts as open.
const REFUSAL_WAIT: Duration = Duration::from_secs(1);

// ---- the table ----

/// Every row. Rows whose document is a query read the shared world and change nothing;
/// mutations and subscriptions run in a test of their own, most of them in a scene (a fresh
/// organization) per cell, so that no cell sees what another one did.
fn table() -> Vec<Row> {
    vec![
        // -- Query --
        Row::new(
            "Query.me",
            "{ me { username isServerAdmin } }",
            no_variables,
            Expect {
                anonymous: null(),
                stranger: returns(json!({ "me": { "username": "sam", "isServerAdmin": false } })),
                invitee: returns(json!({ "me": { "username": "ivy", "isServerAdmin": false } })),
                member: returns(json!({ "me": { "username": "mel", "isServerAdmin": false } })),
                org_admin: returns(
                    json!({ "me": { "username": "alice", "isServerAdmin": false } }),
                ),
                server_admin: returns(
                    json!({ "me": { "username": "root", "isServerAdmin": true } }),
                ),
            },
        ),
        Row::new(
            "Query.serverInfo",
            "{ serverInfo { registrationMode } }",
            no_variables,
            everyone(returns(
                json!({ "serverInfo": { "registrationMode": "OPEN" } }),
            )),
        ),
        Row::new(
            "Query.organization",
            "query($org: OrgSelector!) { organization(org: $org) { name viewerRole } }",
            acme,
            Expect {
                anonymous: error(UNAUTHENTICATED),
                stranger: null(),
                invitee: null(),
                member: returns(
                    json!({ "organization": { "name": "acme", "viewerRole": "MEMBER" } }),
                ),
                org_admin: returns(
                    json!({ "organization": { "name": "acme", "viewerRole": "ADMIN" } }),
                ),
                server_admin: returns(
                    json!({ "organization": { "name": "acme", "viewerRole": null } }),
                ),
            },
        ),
        Row::new(
            "Query.organization",
            "query($org: OrgSelector!) { organization(org: $org) { name } }",
            |_| json!({ "org": { "name": "nosuch" } }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                ..everyone(null())
            },
        )
        .case("an unknown organization"),
        Row::new(
            "Query.invitation",
            "query($token: String!) {
              invitation(token: $token) { action status role organization { name } } }",
            invitation_token,
            everyone(returns(json!({ "invitation": {
                "action": "JOIN_ORG", "status": "PENDING", "role": "MEMBER",
                "organization": { "name": "acme" } } }))),
        )
        .case("the invitee's token"),
        Row::new(
            "Query.invitation",
            "query($token: String!) { invitation(token: $token) { status } }",
            |_| json!({ "token": "A".repeat(43) }),
            everyone(null()),
        )
        .case("a token no invitation has"),
        Row::new(
            "Query.orgInvitations",
            "query($org: OrgSelector!) { orgInvitations(org: $org) { totalCount } }",
            acme,
            Expect {
                anonymous: error(UNAUTHENTICATED),
                org_admin: returns(json!({ "orgInvitations": { "totalCount": 2 } })),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                ..everyone(error(FORBIDDEN))
            },
        ),
        Row::new(
            "Query.orgInvitations",
            "query($org: OrgSelector!) { orgInvitations(org: $org) { totalCount } }",
            |_| json!({ "org": { "name": "nosuch" } }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                ..everyone(error(NOT_FOUND))
            },
        )
        .case("an unknown organization"),
        Row::new(
            "Query.orgEvents",
            "query($org: OrgSelector!) { orgEvents(org: $org, kinds: [CREATED]) { totalCount } }",
            acme,
            Expect {
                anonymous: error(UNAUTHENTICATED),
                org_admin: returns(json!({ "orgEvents": { "totalCount": 2 } })),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                ..everyone(error(FORBIDDEN))
            },
        ),
        Row::new(
            "Query.myInvitations",
            "{ myInvitations { status organization { name } } }",
            no_variables,
            Expect {
                anonymous: error(UNAUTHENTICATED),
                invitee: returns(json!({ "myInvitations": [
                    { "status": "PENDING", "organization": { "name": "acme" } }] })),
                ..everyone(returns(json!({ "myInvitations": [] })))
            },
        ),
        Row::new(
            "Query.registrationInvitations",
            "{ registrationInvitations(first: 1) { nodes { action emailStatus } } }",
            no_variables,
            Expect {
                anonymous: error(UNAUTHENTICATED),
                server_admin: returns(json!({ "registrationInvitations": { "nodes": [
                    { "action": "REGISTER_ACCOUNT", "emailStatus": "NOT_REQUESTED" }] } })),
                ..everyone(error(FORBIDDEN))
            },
        ),
        Row::new(
            "Query._service",
            "{ _service { __typename } }",
            no_variables,
            everyone(returns(json!({ "_service": { "__typename": "_Service" } }))),
        ),
        Row::new(
            "Query._entities",
            ENTITIES,
            |c| representation("User", &c.world.alice_id),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                stranger: returns(json!({ "_entities": [null] })),
                invitee: returns(json!({ "_entities": [null] })),
                ..everyone(returns(json!({ "_entities": [{ "username": "alice" }] })))
            },
        )
        .case("a user (the org admin)"),
        Row::new(
            "Query._entities",
            ENTITIES,
            |c| representation("Organization", &c.world.acme_id),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                stranger: returns(json!({ "_entities": [null] })),
                invitee: returns(json!({ "_entities": [null] })),
                ..everyone(returns(json!({ "_entities": [{ "name": "acme" }] })))
            },
        )
        .case("an organization"),
        Row::new(
            "Query._entities",
            ENTITIES,
            |c| representation("Invitation", &c.world.invitation.id),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                invitee: returns(json!({ "_entities": [
                    { "status": "PENDING", "email": "ivy@example.com" }] })),
                org_admin: returns(json!({ "_entities": [
                    { "status": "PENDING", "email": "ivy@example.com" }] })),
                ..everyone(returns(json!({ "_entities": [null] })))
            },
        )
        .case("an invitation"),
        // -- Organization --
        Row::new(
            "Organization.members",
            "query($org: OrgSelector!) { organization(org: $org) { members { totalCount } } }",
            acme,
            Expect {
                anonymous: error(UNAUTHENTICATED),
                stranger: null(),
                invitee: null(),
                ..everyone(returns(
                    json!({ "organization": { "members": { "totalCount": 2 } } }),
                ))
            },
        )
        .case("through organization(org:)"),
        Row::new(
            "Organization.members",
            "query($token: String!) {
              invitation(token: $token) { organization { members { totalCount } } } }",
            invitation_token,
            Expect {
                anonymous: error(UNAUTHENTICATED),
                stranger: error(FORBIDDEN),
                invitee: error(FORBIDDEN),
                ..everyone(returns(json!({ "invitation": {
                    "organization": { "members": { "totalCount": 2 } } } })))
            },
        )
        .case("through an invitation's token"),
        Row::new(
            "Organization.viewerRole",
            "query($token: String!) { invitation(token: $token) { organization { viewerRole } } }",
            invitation_token,
            Expect {
                member: returns(
                    json!({ "invitation": { "organization": { "viewerRole": "MEMBER" } } }),
                ),
                org_admin: returns(
                    json!({ "invitation": { "organization": { "viewerRole": "ADMIN" } } }),
                ),
                ..everyone(returns(
                    json!({ "invitation": { "organization": { "viewerRole": null } } }),
                ))
            },
        ),
        // -- Invitation --
        Row::new(
            "Invitation.email",
            "query($token: String!) { invitation(token: $token) { email } }",
            invitation_token,
            Expect {
                invitee: returns(json!({ "invitation": { "email": "ivy@example.com" } })),
                org_admin: returns(json!({ "invitation": { "email": "ivy@example.com" } })),
                ..everyone(returns(json!({ "invitation": { "email": null } })))
            },
        ),
        Row::new(
            "Invitation.emailHint",
            "query($token: String!) { invitation(token: $token) { emailHint } }",
            invitation_token,
            everyone(returns(
                json!({ "invitation": { "emailHint": "i***@example.com" } }),
            )),
        ),
        Row::new(
            "Invitation.invitationLink",
            "query($token: String!) { invitation(token: $token) { invitationLink } }",
            invitation_token,
            everyone(returns(json!({ "invitation": { "invitationLink": null } }))),
        )
        .case("never shown after it was created"),
        // A refused non-null field nulls the invitation; a refused nullable one only itself.
        Row::new(
            "Invitation.emailStatus",
            "query($token: String!) { invitation(token: $token) { emailStatus } }",
            invitation_token,
            Expect {
                org_admin: returns(json!({ "invitation": { "emailStatus": "QUEUED" } })),
                anonymous: error(UNAUTHENTICATED),
                ..everyone(error(FORBIDDEN))
            },
        ),
        Row::new(
            "Invitation.emailStatus",
            "query($token: String!) { invitation(token: $token) { emailStatus } }",
            registration_token,
            Expect {
                server_admin: returns(json!({ "invitation": { "emailStatus": "NOT_REQUESTED" } })),
                anonymous: error(UNAUTHENTICATED),
                ..everyone(error(FORBIDDEN))
            },
        )
        .case("a registration invitation"),
        Row::new(
            "Invitation.lastSentAt",
            "query($token: String!) { invitation(token: $token) { lastSentAt } }",
            invitation_token,
            Expect {
                org_admin: returns(json!({ "invitation": { "lastSentAt": null } })),
                anonymous: error(UNAUTHENTICATED),
                ..everyone(error(FORBIDDEN))
            },
        ),
        Row::new(
            "Invitation.sendCount",
            "query($token: String!) { invitation(token: $token) { sendCount } }",
            invitation_token,
            Expect {
                org_admin: returns(json!({ "invitation": { "sendCount": 0 } })),
                anonymous: error(UNAUTHENTICATED),
                ..everyone(error(FORBIDDEN))
            },
        ),
        Row::new(
            "Invitation.emailAttempts",
            "query($token: String!) { invitation(token: $token) { emailAttempts } }",
            invitation_token,
            Expect {
                org_admin: returns(json!({ "invitation": { "emailAttempts": 0 } })),
                anonymous: error(UNAUTHENTICATED),
                ..everyone(error(FORBIDDEN))
            },
        ),
        Row::new(
            "Invitation.lastEmailError",
            "query($token: String!) { invitation(token: $token) { lastEmailError } }",
            invitation_token,
            Expect {
                org_admin: returns(json!({ "invitation": { "lastEmailError": null } })),
                anonymous: error(UNAUTHENTICATED),
                ..everyone(error(FORBIDDEN))
            },
        ),
        Row::new(
            "Invitation.redemptions",
            "query($token: String!) { invitation(token: $token) {
              redemptions { totalCount nodes { user { username } } } } }",
            link_token,
            Expect {
                org_admin: returns(json!({ "invitation": { "redemptions": {
                    "totalCount": 1, "nodes": [{ "user": { "username": "mel" } }] } } })),
                anonymous: error(UNAUTHENTICATED),
                ..everyone(error(FORBIDDEN))
            },
        )
        .case("the open link the member joined through"),
        // -- User --
        Row::new(
            "User.email",
            "query($token: String!) { invitation(token: $token) { invitedBy { username email } } }",
            invitation_token,
            Expect {
                org_admin: returns(json!({ "invitation": {
                    "invitedBy": { "username": "alice", "email": "alice@example.com" } } })),
                server_admin: returns(json!({ "invitation": {
                    "invitedBy": { "username": "alice", "email": "alice@example.com" } } })),
                ..everyone(returns(json!({ "invitation": {
                    "invitedBy": { "username": "alice", "email": null } } })))
            },
        )
        .case("the org admin, as an invitation's inviter"),
        Row::new(
            "User.email",
            "query($org: OrgSelector!) {
              organization(org: $org) { members { nodes { user { username email } } } } }",
            acme,
            Expect {
                anonymous: error(UNAUTHENTICATED),
                stranger: null(),
                invitee: null(),
                member: returns(members(json!([
                    { "user": { "username": "mel", "email": "mel@example.com" } },
                    { "user": { "username": "alice", "email": null } }]))),
                ..everyone(returns(members(json!([
                    { "user": { "username": "mel", "email": "mel@example.com" } },
                    { "user": { "username": "alice", "email": "alice@example.com" } }]))))
            },
        )
        .case("the members, as the organization lists them"),
        Row::new(
            "User.memberships",
            "query($token: String!) { invitation(token: $token) {
              invitedBy { memberships { role organization { name } } } } }",
            invitation_token,
            Expect {
                org_admin: returns(json!({ "invitation": { "invitedBy": { "memberships": [
                    { "role": "ADMIN", "organization": { "name": "acme" } }] } } })),
                ..everyone(returns(
                    json!({ "invitation": { "invitedBy": { "memberships": [] } } }),
                ))
            },
        )
        .case("the org admin's, as an invitation's inviter"),
        // -- Membership --
        Row::new(
            "Membership.invitation",
            "query($org: OrgSelector!) { organization(org: $org) {
              members { nodes { user { username } invitation { usageCount } } } } }",
            acme,
            Expect {
                anonymous: error(UNAUTHENTICATED),
                stranger: null(),
                invitee: null(),
                server_admin: returns(members(json!([
                    { "user": { "username": "mel" }, "invitation": null },
                    { "user": { "username": "alice" }, "invitation": null }]))),
                ..everyone(returns(members(json!([
                    { "user": { "username": "mel" }, "invitation": { "usageCount": 1 } },
                    { "user": { "username": "alice" }, "invitation": null }]))))
            },
        ),
        Row::new(
            "Query.webhookEndpoints",
            "query($org: OrgSelector!) { webhookEndpoints(org: $org) { events } }",
            acme,
            Expect {
                anonymous: error(UNAUTHENTICATED),
                org_admin: returns(json!({ "webhookEndpoints": [{ "events": ["MEMBER_LEFT"] }] })),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                ..everyone(error(FORBIDDEN))
            },
        ),
        Row::new(
            "Query.webhookEndpoints",
            "{ webhookEndpoints { url } }",
            no_variables,
            Expect {
                anonymous: error(UNAUTHENTICATED),
                server_admin: returns(json!({ "webhookEndpoints": [] })),
                ..everyone(error(FORBIDDEN))
            },
        )
        .case("every organization's"),
        Row::new(
            "Query.webhookDeliveries",
            "query($id: ID!) { webhookDeliveries(endpoint: $id) { totalCount } }",
            |c| json!({ "id": c.world.endpoint }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                org_admin: returns(json!({ "webhookDeliveries": { "totalCount": 0 } })),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                ..everyone(error(FORBIDDEN))
            },
        ),
        // -- Mutation --
        Row::new(
            "Mutation.register",
            "mutation($input: RegisterInput!) {
              register(input: $input) { user { username isServerAdmin } } }",
            |c| {
                let name = format!("newcomer{}", c.number);
                json!({ "input": { "username": name, "email": format!("{name}@example.com"),
                                   "password": PASSWORD } })
            },
            everyone(returns(
                json!({ "register": { "user": { "isServerAdmin": false } } }),
            )),
        ),
        Row::new(
            "Mutation.login",
            "mutation($input: LoginInput!) { login(input: $input) { user { username } } }",
            |_| json!({ "input": { "login": "alice", "password": PASSWORD } }),
            everyone(returns(
                json!({ "login": { "user": { "username": "alice" } } }),
            )),
        ),
        Row::new(
            "Mutation.createOrganization",
            "mutation($input: CreateOrganizationInput!) {
              createOrganization(input: $input) { viewerRole } }",
            |c| json!({ "input": { "name": format!("org{}", c.number) } }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                ..everyone(returns(
                    json!({ "createOrganization": { "viewerRole": "ADMIN" } }),
                ))
            },
        ),
        Row::new(
            "Mutation.createOrgInvites",
            CREATE_ORG_INVITES_BRIEF,
            |c| org_invites(c, "MEMBER"),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                org_admin: returns(created_invites("MEMBER")),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                ..everyone(error(FORBIDDEN))
            },
        )
        .in_scene(),
        Row::new(
            "Mutation.createOrgInvites",
            CREATE_ORG_INVITES_BRIEF,
            |c| org_invites(c, "MEMBER"),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                member: returns(created_invites("MEMBER")),
                org_admin: returns(created_invites("MEMBER")),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                ..everyone(error(FORBIDDEN))
            },
        )
        .case("as MEMBER, where members may invite")
        .in_scene_where_members_invite(),
        Row::new(
            "Mutation.createOrgInvites",
            CREATE_ORG_INVITES_BRIEF,
            |c| org_invites(c, "ADMIN"),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                org_admin: returns(created_invites("ADMIN")),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                ..everyone(error(FORBIDDEN))
            },
        )
        .case("as ADMIN, where members may invite")
        .in_scene_where_members_invite(),
        Row::new(
            "Mutation.createInviteLink",
            "mutation($input: CreateInviteLinkInput!) {
              createInviteLink(input: $input) { action role status } }",
            |c| json!({ "input": { "org": { "name": c.scene().org } } }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                org_admin: returns(json!({ "createInviteLink": {
                    "action": "JOIN_ORG", "role": "MEMBER", "status": "PENDING" } })),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                ..everyone(error(FORBIDDEN))
            },
        )
        .in_scene(),
        Row::new(
            "Mutation.createRegistrationInvite",
            "mutation($input: CreateRegistrationInviteInput!) {
              createRegistrationInvite(input: $input) { action maxUses organization { name } } }",
            |_| json!({ "input": { "maxUses": 1, "sendEmail": false } }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                server_admin: returns(json!({ "createRegistrationInvite": {
                    "action": "REGISTER_ACCOUNT", "maxUses": 1, "organization": null } })),
                ..everyone(error(FORBIDDEN))
            },
        ),
        Row::new(
            "Mutation.acceptInvitation",
            ACCEPT,
            |c| json!({ "token": c.scene().invitation.token }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                invitee: returns(accepted("ivy", "ACCEPTED")),
                ..everyone(error(EMAIL_MISMATCH))
            },
        )
        .case("the invitee's email invitation")
        .in_scene(),
        Row::new(
            "Mutation.acceptInvitation",
            ACCEPT,
            |c| json!({ "token": c.scene().link.token }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                stranger: returns(accepted("sam", "PENDING")),
                invitee: returns(accepted("ivy", "PENDING")),
                member: error(ALREADY_MEMBER),
                org_admin: error(ALREADY_MEMBER),
                server_admin: returns(accepted("root", "PENDING")),
            },
        )
        .case("an open link")
        .in_scene(),
        // Only the invitee, signed in, declines: holding the token is not enough.
        Row::new(
            "Mutation.declineInvitation",
            DECLINE,
            |c| json!({ "token": c.scene().invitation.token }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                invitee: returns(json!({ "declineInvitation": { "status": "DECLINED" } })),
                ..everyone(error(EMAIL_MISMATCH))
            },
        )
        .in_scene(),
        // Holding the token is enough: the answer is the same for every caller.
        Row::new(
            "Mutation.requestNewInvitation",
            "mutation($token: String!) { requestNewInvitation(token: $token) }",
            |c| json!({ "token": c.scene().invitation.token }),
            everyone(returns(json!({ "requestNewInvitation": true }))),
        )
        .in_scene(),
        // The mailbox the token went to says so; no account is needed.
        Row::new(
            "Mutation.reportWrongRecipient",
            "mutation($token: String!) { reportWrongRecipient(token: $token) }",
            |c| json!({ "token": c.scene().invitation.token }),
            everyone(returns(json!({ "reportWrongRecipient": true }))),
        )
        .case("an email invitation")
        .in_scene(),
        Row::new(
            "Mutation.cancelInvitation",
            "mutation($id: ID!) { cancelInvitation(id: $id) { status } }",
            |c| json!({ "id": c.scene().invitation.id }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                stranger: error(NOT_FOUND),
                invitee: error(FORBIDDEN),
                member: error(FORBIDDEN),
                org_admin: returns(json!({ "cancelInvitation": { "status": "CANCELLED" } })),
                server_admin: error(NOT_FOUND),
            },
        )
        .case("an email invitation")
        .in_scene(),
        Row::new(
            "Mutation.pauseInviteLink",
            "mutation($id: ID!) { pauseInviteLink(id: $id) { paused } }",
            |c| json!({ "id": c.scene().link.id }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                member: error(FORBIDDEN),
                org_admin: returns(json!({ "pauseInviteLink": { "paused": true } })),
                server_admin: error(NOT_FOUND),
            },
        )
        .in_scene(),
        Row::new(
            "Mutation.resumeInviteLink",
            "mutation($id: ID!) { resumeInviteLink(id: $id) { paused } }",
            |c| json!({ "id": c.scene().link.id }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                member: error(FORBIDDEN),
                org_admin: returns(json!({ "resumeInviteLink": { "paused": false } })),
                server_admin: error(NOT_FOUND),
            },
        )
        .in_scene(),
        Row::new(
            "Mutation.regenerateInviteLink",
            "mutation($id: ID!) { regenerateInviteLink(id: $id) { paused } }",
            |c| json!({ "id": c.scene().link.id }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                member: error(FORBIDDEN),
                org_admin: returns(json!({ "regenerateInviteLink": { "paused": false } })),
                server_admin: error(NOT_FOUND),
            },
        )
        .in_scene(),
        // Those who cannot even see an invitation are told it does not exist.
        Row::new(
            "Mutation.cancel",
            CANCEL,
            |c| json!({ "id": c.scene().invitation.id }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                stranger: error(NOT_FOUND),
                invitee: error(FORBIDDEN),
                member: error(FORBIDDEN),
                org_admin: returns(json!({ "cancel": { "status": "CANCELLED" } })),
                server_admin: error(NOT_FOUND),
            },
        )
        .case("an email invitation")
        .in_scene(),
        Row::new(
            "Mutation.cancel",
            CANCEL,
            |c| json!({ "id": c.registration().id }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                server_admin: returns(json!({ "cancel": { "status": "CANCELLED" } })),
                ..everyone(error(NOT_FOUND))
            },
        )
        .case("a registration invitation")
        .with_its_own_registration_invitation(),
        // By id, an invitation the caller cannot see is one more per-item NOT_FOUND.
        Row::new(
            "Mutation.resend",
            RESEND,
            |c| json!({ "input": { "ids": [c.scene().invitation.id], "sendEmail": false } }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                invitee: error(FORBIDDEN),
                member: error(FORBIDDEN),
                org_admin: returns(json!({ "resend": {
                    "invitations": [{ "status": "PENDING" }], "errors": [] } })),
                ..everyone(returns(json!({ "resend": {
                    "invitations": [], "errors": [{ "code": NOT_FOUND, "email": null }] } })))
            },
        )
        .case("by id")
        .in_scene(),
        Row::new(
            "Mutation.resend",
            RESEND,
            |c| {
                json!({ "input": { "org": { "name": c.scene().org },
                                   "emails": ["ivy@example.com"], "sendEmail": false } })
            },
            Expect {
                anonymous: error(UNAUTHENTICATED),
                org_admin: returns(json!({ "resend": {
                    "invitations": [{ "status": "PENDING" }], "errors": [] } })),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                ..everyone(error(FORBIDDEN))
            },
        )
        .case("by organization and email")
        .in_scene(),
        Row::new(
            "Mutation.verifyEmail",
            "mutation($token: String!) { verifyEmail(token: $token) { emailVerified } }",
            |_| json!({ "token": "A".repeat(43) }),
            everyone(error(INVALID_TOKEN)),
        ),
        Row::new(
            "Mutation.requestEmailVerification",
            "mutation { requestEmailVerification { emailVerified } }",
            no_variables,
            Expect {
                anonymous: error(UNAUTHENTICATED),
                ..everyone(returns(
                    json!({ "requestEmailVerification": { "emailVerified": true } }),
                ))
            },
        ),
        Row::new(
            "Mutation.updateEmail",
            "mutation($email: String!) { updateEmail(email: $email) { email emailVerified } }",
            |_| json!({ "email": "alice@example.com" }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                org_admin: returns(json!({ "updateEmail": {
                    "email": "alice@example.com", "emailVerified": true } })),
                ..everyone(error(CONFLICT))
            },
        ),
        Row::new(
            "Mutation.setEmailVerified",
            "mutation($id: ID!) { setEmailVerified(userId: $id, verified: true) { username emailVerified } }",
            |c| json!({ "id": c.world.alice_id }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                server_admin: returns(json!({ "setEmailVerified": {
                    "username": "alice", "emailVerified": true } })),
                ..everyone(error(FORBIDDEN))
            },
        ),
        Row::new(
            "Mutation.linkExternalIdentity",
            "mutation($token: String!) { linkExternalIdentity(token: $token) { id } }",
            |_| json!({ "token": "not.a.token" }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                ..everyone(error(BAD_USER_INPUT))
            },
        )
        .case("on a server without an identity provider"),
        Row::new(
            "Mutation.updateOrganization",
            "mutation($org: String!) {
              updateOrganization(org: { name: $org }, input: { displayName: \"Renamed\" }) {
                displayName } }",
            |c| json!({ "org": c.scene().org }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                org_admin: returns(json!({ "updateOrganization": { "displayName": "Renamed" } })),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                ..everyone(error(FORBIDDEN))
            },
        )
        .in_scene(),
        Row::new(
            "Mutation.updateMemberRole",
            "mutation($org: String!, $user: ID!) {
              updateMemberRole(org: { name: $org }, userId: $user, role: VISITOR) { role } }",
            |c| json!({ "org": c.scene().org, "user": c.world.mel_id }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                org_admin: returns(json!({ "updateMemberRole": { "role": "VISITOR" } })),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                ..everyone(error(FORBIDDEN))
            },
        )
        .in_scene(),
        Row::new(
            "Mutation.updateMemberRole",
            "mutation($org: String!, $user: ID!) {
              updateMemberRole(org: { name: $org }, userId: $user, role: MEMBER) { role } }",
            |c| json!({ "org": c.scene().org, "user": c.world.alice_id }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                org_admin: error(LAST_ADMIN),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                ..everyone(error(FORBIDDEN))
            },
        )
        .case("the last admin")
        .in_scene(),
        Row::new(
            "Mutation.removeMember",
            "mutation($org: String!, $user: ID!) {
              removeMember(org: { name: $org }, userId: $user) }",
            |c| json!({ "org": c.scene().org, "user": c.world.mel_id }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                org_admin: returns(json!({ "removeMember": true })),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                ..everyone(error(FORBIDDEN))
            },
        )
        .in_scene(),
        Row::new(
            "Mutation.leaveOrganization",
            "mutation($org: String!) { leaveOrganization(org: { name: $org }) }",
            |c| json!({ "org": c.scene().org }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                member: returns(json!({ "leaveOrganization": true })),
                org_admin: error(LAST_ADMIN),
                ..everyone(error(NOT_FOUND))
            },
        )
        .in_scene(),
        Row::new(
            "Mutation.deleteOrganization",
            "mutation($org: String!) { deleteOrganization(org: { name: $org }) }",
            |c| json!({ "org": c.scene().org }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                org_admin: returns(json!({ "deleteOrganization": true })),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                ..everyone(error(FORBIDDEN))
            },
        )
        .in_scene(),
        Row::new(
            "Mutation.createWebhookEndpoint",
            "mutation($org: String!) { createWebhookEndpoint(input: { org: { name: $org },
                url: \"https://hooks.invalid/doorman\" }) { endpoint { status serverWide } } }",
            |c| json!({ "org": c.scene().org }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                org_admin: returns(json!({ "createWebhookEndpoint": {
                    "endpoint": { "status": "ACTIVE", "serverWide": false } } })),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                ..everyone(error(FORBIDDEN))
            },
        )
        .in_scene(),
        Row::new(
            "Mutation.createWebhookEndpoint",
            "mutation { createWebhookEndpoint(input: { url: \"https://hooks.invalid/all\" }) {
                endpoint { serverWide } } }",
            no_variables,
            Expect {
                anonymous: error(UNAUTHENTICATED),
                server_admin: returns(json!({ "createWebhookEndpoint": {
                    "endpoint": { "serverWide": true } } })),
                ..everyone(error(FORBIDDEN))
            },
        )
        .case("every organization's")
        .in_scene(),
        endpoint_row(
            "Mutation.updateWebhookEndpoint",
            "mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { description: \"CRM\" }) {
                description } }",
            json!({ "updateWebhookEndpoint": { "description": "CRM" } }),
        ),
        endpoint_row(
            "Mutation.pauseWebhookEndpoint",
            "mutation($id: ID!) { pauseWebhookEndpoint(id: $id) { status } }",
            json!({ "pauseWebhookEndpoint": { "status": "PAUSED" } }),
        ),
        endpoint_row(
            "Mutation.resumeWebhookEndpoint",
            "mutation($id: ID!) { resumeWebhookEndpoint(id: $id) { status } }",
            json!({ "resumeWebhookEndpoint": { "status": "ACTIVE" } }),
        ),
        endpoint_row(
            "Mutation.rotateSecret",
            "mutation($id: ID!) { rotateSecret(id: $id) { endpoint { status } } }",
            json!({ "rotateSecret": { "endpoint": { "status": "ACTIVE" } } }),
        ),
        endpoint_row(
            "Mutation.sendTestEvent",
            "mutation($id: ID!) { sendTestEvent(id: $id) { eventType } }",
            json!({ "sendTestEvent": { "eventType": "webhook.test" } }),
        ),
        endpoint_row(
            "Mutation.deleteWebhookEndpoint",
            "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }",
            json!({ "deleteWebhookEndpoint": true }),
        ),
        Row::new(
            "Mutation.redeliver",
            "mutation($id: ID!) { redeliver(deliveryId: $id) { status attempts } }",
            |c| json!({ "id": c.scene().delivery }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                org_admin: returns(json!({ "redeliver": { "status": "PENDING", "attempts": 0 } })),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                ..everyone(error(FORBIDDEN))
            },
        )
        .in_scene(),
        // -- Subscription --
        Row::new(
            "Subscription.orgEvents",
            "subscription($org: String!) {
              orgEvents(org: { name: $org }) { kind actor { username } changes { field } } }",
            |c| json!({ "org": c.scene().org }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                org_admin: returns(json!({ "orgEvents": {
                    "kind": "DECLINED", "actor": { "username": "ivy" }, "changes": [] } })),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                ..everyone(error(FORBIDDEN))
            },
        )
        .in_scene()
        .triggered_by(
            Role::Invitee,
            DECLINE,
            |c| json!({ "token": c.scene().invitation.token }),
        ),
        Row::new(
            "Subscription.invitationEvents",
            "subscription($org: String!) {
              invitationEvents(org: { name: $org }) { kind actor { username } } }",
            |c| json!({ "org": c.scene().org }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                org_admin: returns(json!({ "invitationEvents": {
                    "kind": "DECLINED", "actor": { "username": "ivy" } } })),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                ..everyone(error(FORBIDDEN))
            },
        )
        .in_scene()
        .triggered_by(
            Role::Invitee,
            DECLINE,
            |c| json!({ "token": c.scene().invitation.token }),
        ),
        Row::new(
            "Subscription.invitationEvents",
            "subscription($org: String!) { invitationEvents(org: { name: $org }) { kind } }",
            |_| json!({ "org": "nosuch" }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                ..everyone(error(NOT_FOUND))
            },
        )
        .case("an unknown organization"),
        Row::new(
            "Subscription.invitationAccepted",
            "subscription($org: String!) {
              invitationAccepted(org: { name: $org }) { user { username } membership { role } } }",
            |c| json!({ "org": c.scene().org }),
            Expect {
                anonymous: error(UNAUTHENTICATED),
                org_admin: returns(json!({ "invitationAccepted": {
                    "user": { "username": "ivy" }, "membership": { "role": "MEMBER" } } })),
                stranger: error(NOT_FOUND),
                invitee: error(NOT_FOUND),
                ..everyone(error(FORBIDDEN))
            },
        )
        .in_scene()
        .triggered_by(
            Role::Invitee,
            ACCEPT,
            |c| json!({ "token": c.scene().invitation.token }),
        ),
    ]
}

const ENTITIES: &str = "query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on User { username } ... on Organization { name } ... on Invitation { status email } } }";

const CREATE_ORG_INVITES_BRIEF: &str = "mutation($input: CreateOrgInvitesInput!) {
  createOrgInvites(input: $input) { invitations { email role status } errors { code } } }";

const DECLINE: &str = "mutation($token: String!) { declineInvitation(token: $token) { status } }";

const CANCEL: &str = "mutation($id: ID!) { cancel(id: $id) { status } }";

const RESEND: &str = "mutation($input: ResendInput!) {
  resend(input: $input) { invitations { status } errors { code email } } }";

fn no_variables(_: &Cell) -> Json {
    json!({})
}

fn acme(_: &Cell) -> Json {
    json!({ "org": { "name": "acme" } })
}

fn invitation_token(c: &Cell) -> Json {
    json!({ "token": c.world.invitation.token })
}

fn link_token(c: &Cell) -> Json {
    json!({ "token": c.world.link.token })
}

fn registration_token(c: &Cell) -> Json {
    json!({ "token": c.world.registration.token })
}

fn representation(typename: &str, id: &str) -> Json {
    json!({ "representations": [{ "__typename": typename, "id": id }] })
}

fn org_invites(c: &Cell, role: &str) -> Json {
    json!({ "input": { "org": { "name": c.scene().org }, "emails": ["newcomer@example.com"],
                       "role": role, "sendEmail": false } })
}

fn created_invites(role: &str) -> Json {
    json!({ "createOrgInvites": {
        "invitations": [{ "email": "newcomer@example.com", "role": role, "status": "PENDING" }],
        "errors": [] } })
}

/// `acceptInvitation` joined `username` as MEMBER, leaving the invitation `status`.
fn accepted(username: &str, status: &str) -> Json {
    json!({ "acceptInvitation": {
        "invitation": { "status": status },
        "membership": { "role": "MEMBER", "user": { "username": username } } } })
}

/// `organization { members { nodes } }` holding `nodes`, newest member first.
fn members(nodes: Json) -> Json {
    json!({ "organization": { "members": { "nodes": nodes } } })
}

// ---- rows, roles and outcomes ----

/// Who is calling, relative to the organization a row is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// No access token.
    Anonymous,
    /// An account with no relation to the organization.
    Stranger,
    /// An account whose email has a pending invitation to it; not a member.
    Invitee,
    /// A MEMBER of the organization.
    Member,
    /// An ADMIN of the organization.
    OrgAdmin,
    /// The server's first account; not a member of the organization.
    ServerAdmin,
}

impl Role {
    const ALL: [Role; 6] = [
        Role::Anonymous,
        Role::Stranger,
        Role::Invitee,
        Role::Member,
        Role::OrgAdmin,
        Role::ServerAdmin,
    ];

    fn name(self) -> &'static str {
        match self {
            Role::Anonymous => "anonymous",
            Role::Stranger => "stranger",
            Role::Invitee => "invitee",
            Role::Member => "member",
            Role::OrgAdmin => "org admin",
            Role::ServerAdmin => "server admin",
        }
    }
}

/// What one caller gets from one row.
#[derive(Clone, Debug)]
enum Outcome {
    /// No errors, and `data` holds this: objects may have more keys than named here, lists
    /// have exactly these items.
    Data(Json),
    /// No errors, and every root field is null: the thing is hidden.
    Null,
    /// The first error has this `extensions.code`, and `data` carries no value at all.
    Error(&'static str),
}

fn returns(expected: Json) -> Outcome {
    Outcome::Data(expected)
}

fn null() -> Outcome {
    Outcome::Null
}

fn error(code: &'static str) -> Outcome {
    Outcome::Error(code)
}

impl Outcome {
    fn check(&self, response: &Json) -> Result<(), String> {
        let errors = response.get("errors").filter(|errors| !errors.is_null());
        let data = response.get("data").unwrap_or(&Json::Null);
        match self {
            Outcome::Data(expected) if errors.is_none() && contains(data, expected) => Ok(()),
            Outcome::Null
                if errors.is_none()
                    && data
                        .as_object()
                        .is_some_and(|fields| fields.values().all(Json::is_null)) =>
            {
                Ok(())
            }
            Outcome::Error(code)
                if response["errors"][0]["extensions"]["code"] == *code && !has_value(data) =>
            {
                Ok(())
            }
            _ => Err(format!("expected {self}, got {response}")),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Data(expected) => write!(f, "data with {expected}"),
            Outcome::Null => write!(f, "null"),
            Outcome::Error(code) => write!(f, "{code} and no data"),
        }
    }
}

/// Whether `actual` holds everything `expected` names.
fn contains(actual: &Json, expected: &Json) -> bool {
    match (actual, expected) {
        (Json::Object(actual), Json::Object(expected)) => expected.iter().all(|(key, value)| {
            actual
                .get(key)
                .is_some_and(|actual| contains(actual, value))
        }),
        (Json::Array(actual), Json::Array(expected)) => {
            actual.len() == expected.len()
                && actual.iter().zip(expected).all(|(a, e)| contains(a, e))
        }
        _ => actual == expected,
    }
}

/// Whether `data` holds any value other than null (a refused field leaks nothing).
fn has_value(data: &Json) -> bool {
    match data {
        Json::Null => false,
        Json::Object(fields) => fields.values().any(has_value),
        Json::Array(items) => items.iter().any(has_value),
        _ => true,
    }
}

/// One outcome per role.
struct Expect {
    anonymous: Outcome,
    stranger: Outcome,
    invitee: Outcome,
    member: Outcome,
    org_admin: Outcome,
    server_admin: Outcome,
}

/// The same outcome for every role (override some with `..everyone(…)`).
fn everyone(outcome: Outcome) -> Expect {
    Expect {
        anonymous: outcome.clone(),
        stranger: outcome.clone(),
        invitee: outcome.clone(),
        member: outcome.clone(),
        org_admin: outcome.clone(),
        server_admin: outcome,
    }
}

impl Expect {
    fn of(&self, role: Role) -> &Outcome {
        match role {
            Role::Anonymous => &self.anonymous,
            Role::Stranger => &self.stranger,
            Role::Invitee => &self.invitee,
            Role::Member => &self.member,
            Role::OrgAdmin => &self.org_admin,
            Role::ServerAdmin => &self.server_admin,
        }
    }
}

/// Where a row's cells run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Setup {
    /// On the shared world (acme).
    World,
    /// In a fresh organization of their own, cast like acme.
    Scene,
    /// The same, in an organization that lets members invite.
    SceneWhereMembersInvite,
    /// On the shared world, with a fresh registration invitation from the server admin each.
    RegistrationInvitation,
}

/// What makes a subscription's organization produce the event a subscriber waits for.
struct Trigger {
    actor: Role,
    document: &'static str,
    variables: fn(&Cell) -> Json,
}

/// One operation (a root field, or an object field reached through one), and what each role
/// gets from it.
struct Row {
    /// `Type.field`.
    field: &'static str,
    /// Which case of the field, when it has several rows.
    case: &'static str,
    document: &'static str,
    variables: fn(&Cell) -> Json,
    setup: Setup,
    trigger: Option<Trigger>,
    expect: Expect,
}

impl Row {
    fn new(
        field: &'static str,
        document: &'static str,
        variables: fn(&Cell) -> Json,
        expect: Expect,
    ) -> Row {
        Row {
            field,
            case: "",
            document,
            variables,
            setup: Setup::World,
            trigger: None,
            expect,
        }
    }

    fn case(self, case: &'static str) -> Row {
        Row { case, ..self }
    }

    fn in_scene(self) -> Row {
        Row {
            setup: Setup::Scene,
            ..self
        }
    }

    fn in_scene_where_members_invite(self) -> Row {
        Row {
            setup: Setup::SceneWhereMembersInvite,
            ..self
        }
    }

    fn with_its_own_registration_invitation(self) -> Row {
        Row {
            setup: Setup::RegistrationInvitation,
            ..self
        }
    }

    fn triggered_by(
        self,
        actor: Role,
        document: &'static str,
        variables: fn(&Cell) -> Json,
    ) -> Row {
        Row {
            trigger: Some(Trigger {
                actor,
                document,
                variables,
            }),
            ..self
        }
    }

    fn name(&self) -> String {
        if self.case.is_empty() {
            self.field.to_owned()
        } else {
            format!("{} ({})", self.field, self.case)
        }
    }

    fn is_query(&self) -> bool {
        let document = self.document.trim_start();
        document.starts_with('{') || document.starts_with("query")
    }

    fn is_subscription(&self) -> bool {
        self.document.trim_start().starts_with("subscription")
    }
}

// ---- the world ----

/// An invitation and its raw token.
struct Invite {
    id: String,
    token: String,
}

/// One server's cast: `root` (server admin, first account), `alice` (ADMIN of acme), `mel`
/// (MEMBER of acme, joined through the open link), `ivy` (a pending email invitation to acme)
/// and `sam` (nothing to do with acme); plus a registration invitation from root.
struct World {
    root: String,
    alice: String,
    mel: String,
    ivy: String,
    sam: String,
    alice_id: String,
    mel_id: String,
    acme_id: String,
    /// The invitation to ivy@example.com.
    invitation: Invite,
    /// The open link mel joined through.
    link: Invite,
    registration: Invite,
    /// acme's webhook endpoint.
    endpoint: String,
}

impl World {
    async fn build(app: &TestApp) -> World {
        let (root, _) = register(app, "root").await;
        let (alice, alice_id) = register(app, "alice").await;
        let acme_id = create_org(app, &alice, "acme").await;
        let (mel, mel_id) = register(app, "mel").await;
        let link = join_through_a_link(app, &alice, &mel, "acme").await;
        let (ivy, _) = register(app, "ivy").await;
        let (id, token) = invite_one(app, &alice, "acme", "ivy@example.com").await;
        let (sam, _) = register(app, "sam").await;
        let registration = registration_invite(app, &root).await;
        // Last, so that nothing it hears happened: it hears members leaving only.
        let endpoint = create_endpoint(app, &alice, "acme", json!(["MEMBER_LEFT"])).await;
        World {
            endpoint,
            root,
            alice,
            mel,
            ivy,
            sam,
            alice_id,
            mel_id,
            acme_id,
            invitation: Invite { id, token },
            link,
            registration,
        }
    }

    fn token(&self, role: Role) -> Option<&str> {
        match role {
            Role::Anonymous => None,
            Role::Stranger => Some(&self.sam),
            Role::Invitee => Some(&self.ivy),
            Role::Member => Some(&self.mel),
            Role::OrgAdmin => Some(&self.alice),
            Role::ServerAdmin => Some(&self.root),
        }
    }
}

/// A fresh organization cast like acme: alice its ADMIN, mel a MEMBER through its open link,
/// ivy invited by email.
struct Scene {
    org: String,
    invitation: Invite,
    link: Invite,
    /// Its webhook endpoint, and that endpoint's test delivery.
    endpoint: String,
    delivery: String,
}

impl Scene {
    async fn build(app: &TestApp, world: &World, org: String, members_can_invite: bool) -> Scene {
        create_org_with(
            app,
            &world.alice,
            json!({ "name": org, "membersCanInvite": members_can_invite }),
        )
        .await;
        let link = join_through_a_link(app, &world.alice, &world.mel, &org).await;
        let (id, token) = invite_one(app, &world.alice, &org, "ivy@example.com").await;
        let endpoint = create_endpoint(app, &world.alice, &org, json!(null)).await;
        let delivery = app
            .graphql(
                "mutation($id: ID!) { sendTestEvent(id: $id) { id } }",
                json!({ "id": endpoint }),
                Some(&world.alice),
            )
            .await;
        Scene {
            delivery: str_of(&data(&delivery)["sendTestEvent"]["id"]),
            endpoint,
            invitation: Invite { id, token },
            link,
            org,
        }
    }
}

/// A webhook endpoint of `org` hearing `events` (null: all), at an address that never
/// resolves; its id.
async fn create_endpoint(app: &TestApp, admin: &str, org: &str, events: Json) -> String {
    let created = app
        .graphql(
            "mutation($org: String!, $events: [OrgEventKind!]) {
              createWebhookEndpoint(input: { org: { name: $org },
                url: \"https://hooks.invalid/doorman\", events: $events }) { endpoint { id } } }",
            json!({ "org": org, "events": events }),
            Some(admin),
        )
        .await;
    str_of(&data(&created)["createWebhookEndpoint"]["endpoint"]["id"])
}

/// A row for a mutation of the scene's webhook endpoint: only its organization's admin may.
fn endpoint_row(field: &'static str, document: &'static str, answer: Json) -> Row {
    Row::new(
        field,
        document,
        |c| json!({ "id": c.scene().endpoint }),
        Expect {
            anonymous: error(UNAUTHENTICATED),
            org_admin: returns(answer),
            stranger: error(NOT_FOUND),
            invitee: error(NOT_FOUND),
            ..everyone(error(FORBIDDEN))
        },
    )
    .in_scene()
}

/// Creates an unlimited open link to `org` and has `joiner` accept it.
async fn join_through_a_link(app: &TestApp, admin: &str, joiner: &str, org: &str) -> Invite {
    let (id, token) = create_link(app, admin, org, None).await;
    data(&accept(app, joiner, &token).await);
    Invite { id, token }
}

async fn registration_invite(app: &TestApp, server_admin: &str) -> Invite {
    let response = app
        .graphql(
            "mutation { createRegistrationInvite(input: { maxUses: 5, sendEmail: false }) {
              id invitationLink } }",
            json!({}),
            Some(server_admin),
        )
        .await;
    let created = &data(&response)["createRegistrationInvite"];
    Invite {
        id: str_of(&created["id"]),
        token: token_from_link(&str_of(&created["invitationLink"])),
    }
}

// ---- running cells ----

/// What a cell's variables may name.
struct Cell<'a> {
    world: &'a World,
    role: Role,
    scene: Option<Scene>,
    registration: Option<Invite>,
    /// Unique within the run, for names that must not repeat.
    number: usize,
}

impl Cell<'_> {
    #[track_caller]
    fn scene(&self) -> &Scene {
        self.scene
            .as_ref()
            .expect("only rows that run in a scene name the scene")
    }

    #[track_caller]
    fn registration(&self) -> &Invite {
        self.registration
            .as_ref()
            .expect("only rows with a registration invitation of their own name it")
    }
}

/// How many cells run at once. Cells share nothing they change (a cell that writes has a
/// scene of its own, and names it creates carry its number), so their order does not matter.
const CELLS_AT_ONCE: usize = 8;

/// Runs every cell of `rows`; returns how many ran and the description of each that differs,
/// in table order.
async fn run_cells(app: &TestApp, world: &World, rows: &[&Row]) -> (usize, Vec<String>) {
    let cells: Vec<(usize, &Row, Role)> = rows
        .iter()
        .flat_map(|row| Role::ALL.map(|role| (*row, role)))
        .enumerate()
        .map(|(index, (row, role))| (index + 1, row, role))
        .collect();
    let count = cells.len();
    let mut mismatches: Vec<(usize, String)> = stream::iter(cells)
        .map(|(number, row, role)| async move {
            run_cell(app, world, row, role, number)
                .await
                .map(|mismatch| (number, mismatch))
        })
        .buffer_unordered(CELLS_AT_ONCE)
        .filter_map(|mismatch| async move { mismatch })
        .collect()
        .await;
    mismatches.sort();
    (
        count,
        mismatches
            .into_iter()
            .map(|(_, mismatch)| mismatch)
            .collect(),
    )
}

/// Runs one cell; `Some` describes how it differs from the table.
async fn run_cell(
    app: &TestApp,
    world: &World,
    row: &Row,
    role: Role,
    number: usize,
) -> Option<String> {
    let scene = match row.setup {
        Setup::World | Setup::RegistrationInvitation => None,
        Setup::Scene => Some(Scene::build(app, world, format!("scene{number}"), false).await),
        Setup::SceneWhereMembersInvite => {
            Some(Scene::build(app, world, format!("scene{number}"), true).await)
        }
    };
    let registration = match row.setup {
        Setup::RegistrationInvitation => Some(registration_invite(app, &world.root).await),
        Setup::World | Setup::Scene | Setup::SceneWhereMembersInvite => None,
    };
    let cell = Cell {
        world,
        role,
        scene,
        registration,
        number,
    };
    let expected = row.expect.of(role);
    let response = if row.is_subscription() {
        subscribe(app, row, &cell, expected).await
    } else {
        app.graphql(row.document, (row.variables)(&cell), world.token(role))
            .await
    };
    let mismatch = expected.check(&response).err()?;
    Some(format!("{} as {}: {mismatch}", row.name(), role.name()))
}

/// Subscribes as the cell's role over `graphql-transport-ws` and returns what came first, as
/// a response (`data`, `errors`). A cell that should get data is made to: once the feed
/// listens, the row's trigger produces an event. One that should be refused gets a moment to
/// say so; if it stays open, the trigger fires, so an event it should not hear shows up.
async fn subscribe(app: &TestApp, row: &Row, cell: &Cell<'_>, expected: &Outcome) -> Json {
    let token = cell.world.token(cell.role);
    let mut client = WsClient::connect(app, Protocol::TransportWs).await;
    client
        .init(token.map(|token| json!({ "Authorization": format!("Bearer {token}") })))
        .await;
    client
        .subscribe("1", row.document, (row.variables)(cell))
        .await;
    let mut triggered = None;
    let mut message = if let Outcome::Data(_) = expected {
        // Only the probe organization's admin can tell when its own feeds listen.
        let (Role::OrgAdmin, Some(token)) = (cell.role, token) else {
            return json!({ "not run": "only the org admin can wait for a subscription's data" });
        };
        client.wait_until_live(app, token, PROBE_ORG).await;
        triggered = Some(trigger(app, row, cell).await);
        client.try_message_for("1", EVENT_TIMEOUT).await
    } else {
        client.try_message_for("1", REFUSAL_WAIT).await
    };
    if message.is_none() && triggered.is_none() {
        triggered = Some(trigger(app, row, cell).await);
        message = client.try_message_for("1", EVENT_TIMEOUT).await;
    }
    match message {
        Some(message) if message["type"] == "next" => message["payload"].clone(),
        Some(message) if message["type"] == "error" => json!({ "errors": message["payload"] }),
        Some(message) => json!({ "unexpected message": message }),
        None => json!({ "nothing arrived; the trigger answered": triggered }),
    }
}

async fn trigger(app: &TestApp, row: &Row, cell: &Cell<'_>) -> Json {
    let trigger = row
        .trigger
        .as_ref()
        .unwrap_or_else(|| panic!("{} has no trigger", row.name()));
    app.graphql(
        trigger.document,
        (trigger.variables)(cell),
        cell.world.token(trigger.actor),
    )
    .await
}

#[track_caller]
fn assert_no_mismatch(cells: usize, mismatches: &[String]) {
    assert!(
        mismatches.is_empty(),
        "{} of {cells} cells differ from the authorization table:\n\n{}\n",
        mismatches.len(),
        mismatches.join("\n\n")
    );
}

// ---- tests ----

/// Queries, cell by cell; then every row that runs on the world with an access token that
/// does not verify, which is refused whole (401), never taken for an anonymous caller.
#[tokio::test]
async fn every_query_answers_each_role_as_the_table_says() {
    let app = TestApp::spawn().await;
    let world = World::build(&app).await;
    let table = table();
    let queries: Vec<&Row> = table.iter().filter(|row| row.is_query()).collect();

    let (mut cells, mut mismatches) = run_cells(&app, &world, &queries).await;

    let http_rows = table
        .iter()
        .filter(|row| row.setup == Setup::World && !row.is_subscription());
    for row in http_rows {
        cells += 1;
        let cell = Cell {
            world: &world,
            role: Role::Anonymous,
            scene: None,
            registration: None,
            number: cells,
        };
        let response = app
            .http()
            .post(format!("{}/graphql", app.address))
            .bearer_auth("not-a-token")
            .json(&json!({ "query": row.document, "variables": (row.variables)(&cell) }))
            .send()
            .await
            .expect("failed to send the request");
        let status = response.status();
        let body: Json = response.json().await.expect("a JSON body");
        let error = &body["errors"][0]["extensions"];
        if status != 401 || error["code"] != UNAUTHENTICATED || error["reason"] != "INVALID" {
            mismatches.push(format!(
                "{} with a refused access token: expected HTTP 401 UNAUTHENTICATED (INVALID), \
                 got HTTP {status} {body}",
                row.name()
            ));
        }
    }

    assert_no_mismatch(cells, &mismatches);
}

#[tokio::test]
async fn every_mutation_and_subscription_answers_each_role_as_the_table_says() {
    let app = TestApp::spawn().await;
    let world = World::build(&app).await;
    create_org(&app, &world.alice, PROBE_ORG).await;
    let table = table();
    let rows: Vec<&Row> = table.iter().filter(|row| !row.is_query()).collect();

    let (cells, mismatches) = run_cells(&app, &world, &rows).await;

    assert_no_mismatch(cells, &mismatches);
}

/// A root field cannot be added without deciding who may use it; and every row names a field
/// the schema has.
#[tokio::test]
async fn every_root_field_has_a_row_in_the_table() {
    let app = TestApp::spawn().await;
    let response = app
        .graphql(
            "{ __schema {
                queryType { name } mutationType { name } subscriptionType { name }
                types { name fields(includeDeprecated: true) { name } } } }",
            json!({}),
            None,
        )
        .await;
    let schema = &data(&response)["__schema"];
    let mut fields = BTreeSet::new();
    for schema_type in schema["types"].as_array().expect("a list of types") {
        for field in schema_type["fields"].as_array().into_iter().flatten() {
            fields.insert(format!(
                "{}.{}",
                str_of(&schema_type["name"]),
                str_of(&field["name"])
            ));
        }
    }
    let roots: Vec<String> = ["queryType", "mutationType", "subscriptionType"]
        .iter()
        .map(|root| format!("{}.", str_of(&schema[root]["name"])))
        .collect();
    let table = table();
    let decided: BTreeSet<&str> = table.iter().map(|row| row.field).collect();

    let undecided: Vec<&String> = fields
        .iter()
        .filter(|field| roots.iter().any(|root| field.starts_with(root.as_str())))
        .filter(|field| !decided.contains(field.as_str()))
        .collect();
    let unknown: Vec<&&str> = decided
        .iter()
        .filter(|field| !fields.contains(**field))
        .collect();

    assert!(
        undecided.is_empty(),
        "root fields without a row in the authorization table: {undecided:?}"
    );
    assert!(
        unknown.is_empty(),
        "rows naming fields the schema does not have: {unknown:?}"
    );
}
