//! The single-statement accept (`service/invitations/accept_fast.rs`, SQL) against the checked
//! way (`redeem::accept_checked`, which applies `domain/invitation_rules.rs`), on every
//! combination of stored status, expiry, audience, caller (a member or not; its email proven,
//! or not and the token disclosed or only emailed), inviter and action, on the
//! backend of the run (both in CI). Each case is built twice, alike; one copy is accepted the
//! fast way, the other the checked way, and the outcomes must agree:
//!
//! - whatever the fast way accepts, the checked way accepts too, leaving the same state
//!   (status, uses, the caller's membership and role, one redemption, one ACCEPTED event);
//! - whatever the fast way passes on, it leaves untouched;
//! - whatever the checked way accepts within the fast way's scope (organization invitations
//!   without a domain list), the fast way accepts too.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use doorman::domain::invite_token::InviteToken;
use doorman::service::Ctx;
use doorman::service::events;
use doorman::service::invitations::accept_fast::try_accept;
use doorman::service::invitations::redeem::accept_checked;
use entity::enums::{EmailDeliveryStatus, EventKind, InvitationAction, InvitationStatus, OrgRole};
use entity::{invitation, invitation_event, invitation_redemption, membership, organization, user};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, Iterable, PaginatorTrait, QueryFilter};

use crate::support::TestApp;

/// Whom an invitation is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Audience {
    /// An email invitation to the caller's address.
    Caller,
    /// An email invitation to someone else.
    SomeoneElse,
    /// An email invitation to the caller, already used (still stored as pending).
    CallerUsed,
    /// An open link without a use limit.
    Link,
    /// An open link with uses left.
    LinkUsesLeft,
    /// An open link whose uses are all taken.
    LinkExhausted,
    /// An open link limited to the caller's domain.
    LinkCallerDomain,
    /// An open link limited to another domain.
    LinkOtherDomain,
}

const AUDIENCES: [Audience; 8] = [
    Audience::Caller,
    Audience::SomeoneElse,
    Audience::CallerUsed,
    Audience::Link,
    Audience::LinkUsesLeft,
    Audience::LinkExhausted,
    Audience::LinkCallerDomain,
    Audience::LinkOtherDomain,
];

/// Who sent the invitation, as things stand at accept time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Inviter {
    Admin,
    /// Still a member, no longer an admin.
    Demoted,
    /// No longer a member.
    Left,
    /// The command line (no inviter).
    CommandLine,
}

const INVITERS: [Inviter; 4] = [
    Inviter::Admin,
    Inviter::Demoted,
    Inviter::Left,
    Inviter::CommandLine,
];

/// What the caller has proven about its email, and where the token went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Proof {
    /// The caller's email is verified.
    Verified,
    /// Unverified; the token was handed to the inviter.
    UnverifiedDisclosed,
    /// Unverified; the token went only to the invited mailbox.
    UnverifiedEmailed,
}

const PROOFS: [Proof; 3] = [
    Proof::Verified,
    Proof::UnverifiedDisclosed,
    Proof::UnverifiedEmailed,
];

#[derive(Clone, Copy, Debug)]
struct Case {
    status: InvitationStatus,
    expired: bool,
    audience: Audience,
    caller_is_member: bool,
    proof: Proof,
    inviter: Inviter,
    action: InvitationAction,
}

impl Case {
    fn all() -> Vec<Case> {
        let mut cases = Vec::new();
        for status in InvitationStatus::iter().filter(|s| *s != InvitationStatus::Expired) {
            for expired in [false, true] {
                for audience in AUDIENCES {
                    for caller_is_member in [false, true] {
                        for proof in PROOFS {
                            for inviter in INVITERS {
                                for action in InvitationAction::iter() {
                                    cases.push(Case {
                                        status,
                                        expired,
                                        audience,
                                        caller_is_member,
                                        proof,
                                        inviter,
                                        action,
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
        cases
    }

    /// What the single statement covers: organization invitations, to a verified caller's
    /// email or an open link without a domain list.
    fn in_fast_scope(&self) -> bool {
        let email_bound = matches!(
            self.audience,
            Audience::Caller | Audience::SomeoneElse | Audience::CallerUsed
        );
        self.action == InvitationAction::JoinOrg
            && !matches!(
                self.audience,
                Audience::LinkCallerDomain | Audience::LinkOtherDomain
            )
            && (self.proof == Proof::Verified || !email_bound)
    }
}

/// One built copy of a case.
struct World {
    caller: user::Model,
    token: InviteToken,
    invitation_id: i64,
    org_id: i64,
}

/// What an accept leaves behind, ids aside.
#[derive(Debug, PartialEq, Eq)]
struct State {
    status: InvitationStatus,
    usage_count: i32,
    caller_role: Option<OrgRole>,
    redemptions: u64,
    accepted_events: u64,
    caller_verified: bool,
}

const DOMAIN: &str = "rules.example";

/// Builds every case twice (copy 0 and 1) in a few bulk inserts.
async fn build(ctx: &Ctx, cases: &[Case]) -> Vec<[World; 2]> {
    let db = &ctx.db;
    let now = Utc::now();
    let name = |i: usize, copy: usize, who: &str| format!("r{i}x{copy}{who}");
    let orgs = insert_all(
        db,
        (0..cases.len() * 2).map(|n| organization::ActiveModel {
            name: Set(name(n / 2, n % 2, "org")),
            members_can_invite: Set(false),
            created_at: Set(now),
            default_invite_role: Set(OrgRole::Member),
            default_allowed_email_domains: Set(String::new()),
            ..Default::default()
        }),
    )
    .await;
    let users = insert_all(
        db,
        (0..cases.len() * 2).flat_map(|n| {
            let verified = who_is_verified(cases[n / 2]);
            ["inviter", "caller"].map(|who| user::ActiveModel {
                username: Set(name(n / 2, n % 2, who)),
                email: Set(format!("{}@{DOMAIN}", name(n / 2, n % 2, who))),
                password_hash: Set("not used".to_owned()),
                is_server_admin: Set(false),
                created_at: Set(now),
                email_verified_at: Set((who == "inviter" || verified).then_some(now)),
                ..Default::default()
            })
        }),
    )
    .await;
    let mut memberships = Vec::new();
    for (n, org) in orgs.iter().enumerate() {
        let case = cases[n / 2];
        let (inviter, caller) = (&users[2 * n], &users[2 * n + 1]);
        let inviter_role = match case.inviter {
            Inviter::Admin => Some(OrgRole::Admin),
            Inviter::Demoted => Some(OrgRole::Member),
            Inviter::Left | Inviter::CommandLine => None,
        };
        let caller_role = case.caller_is_member.then_some(OrgRole::Member);
        for (user, role) in [(inviter, inviter_role), (caller, caller_role)] {
            if let Some(role) = role {
                memberships.push(membership::ActiveModel {
                    organization_id: Set(org.id),
                    user_id: Set(user.id),
                    role: Set(role),
                    joined_at: Set(now),
                    ..Default::default()
                });
            }
        }
    }
    insert_all(db, memberships).await;
    let tokens: Vec<InviteToken> = (0..orgs.len()).map(|_| InviteToken::generate()).collect();
    let invitations = insert_all(
        db,
        orgs.iter().enumerate().map(|(n, org)| {
            let case = cases[n / 2];
            let (inviter, caller) = (&users[2 * n], &users[2 * n + 1]);
            let (email, domains, max_uses, usage_count) = match case.audience {
                Audience::Caller => (Some(caller.email.clone()), "", Some(1), 0),
                Audience::SomeoneElse => (Some(format!("someone{n}@{DOMAIN}")), "", Some(1), 0),
                Audience::CallerUsed => (Some(caller.email.clone()), "", Some(1), 1),
                Audience::Link => (None, "", None, 3),
                Audience::LinkUsesLeft => (None, "", Some(2), 1),
                Audience::LinkExhausted => (None, "", Some(2), 2),
                Audience::LinkCallerDomain => (None, DOMAIN, None, 0),
                Audience::LinkOtherDomain => (None, "elsewhere.example", None, 0),
            };
            let expires_at: DateTime<Utc> = if case.expired {
                now - Duration::hours(1)
            } else {
                now + Duration::days(1)
            };
            invitation::ActiveModel {
                action: Set(case.action),
                organization_id: Set(Some(org.id)),
                role: Set(Some(OrgRole::Member)),
                email: Set(email),
                allowed_email_domains: Set(domains.to_owned()),
                max_uses: Set(max_uses),
                usage_count: Set(usage_count),
                status: Set(case.status),
                expires_at: Set(expires_at),
                invited_by: Set((case.inviter != Inviter::CommandLine).then_some(inviter.id)),
                token_digest: Set(tokens[n].digest()),
                email_status: Set(EmailDeliveryStatus::NotRequested),
                send_count: Set(0),
                email_attempts: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
                link_disclosed: Set(case.proof != Proof::UnverifiedEmailed),
                ..Default::default()
            }
        }),
    )
    .await;
    let mut worlds = Vec::with_capacity(cases.len());
    let mut tokens = tokens.into_iter();
    for i in 0..cases.len() {
        let world = |n: usize, token: InviteToken| World {
            caller: users[2 * n + 1].clone(),
            token,
            invitation_id: invitations[n].id,
            org_id: orgs[n].id,
        };
        let first = world(2 * i, tokens.next().unwrap());
        let second = world(2 * i + 1, tokens.next().unwrap());
        worlds.push([first, second]);
    }
    worlds
}

fn who_is_verified(case: Case) -> bool {
    case.proof == Proof::Verified
}

/// Inserts rows in chunks (SQLite bounds the values of one statement) and returns them.
async fn insert_all<A>(
    db: &sea_orm::DatabaseConnection,
    rows: impl IntoIterator<Item = A>,
) -> Vec<<A::Entity as EntityTrait>::Model>
where
    A: sea_orm::ActiveModelTrait + Clone + Send,
    <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    let rows: Vec<A> = rows.into_iter().collect();
    let mut inserted = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(200) {
        inserted.extend(
            <A::Entity as EntityTrait>::insert_many(chunk.to_vec())
                .exec_with_returning(db)
                .await
                .expect("the case rows insert"),
        );
    }
    inserted
}

async fn state(ctx: &Ctx, world: &World) -> State {
    let db = &ctx.db;
    let invitation = invitation::Entity::find_by_id(world.invitation_id)
        .one(db)
        .await
        .unwrap()
        .expect("the invitation is there");
    let caller_role = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(world.org_id))
        .filter(membership::Column::UserId.eq(world.caller.id))
        .one(db)
        .await
        .unwrap()
        .map(|m| m.role);
    let redemptions = invitation_redemption::Entity::find()
        .filter(invitation_redemption::Column::InvitationId.eq(world.invitation_id))
        .count(db)
        .await
        .unwrap();
    let accepted_events = invitation_event::Entity::find()
        .filter(invitation_event::Column::InvitationId.eq(world.invitation_id))
        .filter(invitation_event::Column::Kind.eq(EventKind::Accepted))
        .count(db)
        .await
        .unwrap();
    let caller_verified = user::Entity::find_by_id(world.caller.id)
        .one(db)
        .await
        .unwrap()
        .expect("the caller is there")
        .email_verified_at
        .is_some();
    State {
        status: invitation.status,
        usage_count: invitation.usage_count,
        caller_role,
        redemptions,
        accepted_events,
        caller_verified,
    }
}

#[tokio::test]
async fn the_single_statement_accept_agrees_with_the_rules_in_every_case() {
    let app = TestApp::spawn().await;
    let ctx = app.ctx();
    let cases = Case::all();
    assert_eq!(cases.len(), 5 * 2 * 8 * 2 * 3 * 4 * 2);
    let worlds = build(ctx, &cases).await;
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    let mut disagreements = Vec::new();
    for (case, [fast_world, checked_world]) in cases.iter().zip(&worlds) {
        let before = state(ctx, fast_world).await;
        let fast = try_accept(ctx, &fast_world.caller, &fast_world.token)
            .await
            .expect("the fast way either accepts or passes");
        let fast_accepted = match fast {
            Some((_, committed)) => {
                events::announce(ctx, committed).await;
                true
            }
            None => false,
        };
        let checked = accept_checked(ctx, &checked_world.caller, &checked_world.token).await;
        let (fast_after, checked_after) = (
            state(ctx, fast_world).await,
            state(ctx, checked_world).await,
        );
        let outcome = match (&checked, fast_accepted) {
            (Ok(_), true) if fast_after == checked_after => "accepted by both",
            (Ok(_), false) if !case.in_fast_scope() && fast_after == before => {
                "accepted the checked way only, outside the fast way's scope"
            }
            (Err(_), false) if fast_after == before && checked_after == before => "refused by both",
            _ => {
                disagreements.push(format!(
                    "{case:?}: fast accepted {fast_accepted}, left {fast_after:?}; checked \
                     gave {:?}, left {checked_after:?}; before {before:?}",
                    checked.as_ref().map(|_| ()).map_err(|err| err.code()),
                ));
                continue;
            }
        };
        *tally.entry(outcome).or_default() += 1;
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} cases disagree:\n{}",
        disagreements.len(),
        cases.len(),
        disagreements.join("\n")
    );
    // The table exercises each outcome, so no comparison above is vacuous.
    assert_eq!(tally.len(), 3, "outcomes: {tally:?}");
    assert!(tally.values().all(|count| *count > 0));
}
