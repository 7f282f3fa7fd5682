//! The GraphQL requests of each hot path, as a client of the API sends them.

use std::sync::Arc;

use hyper::body::Bytes;
use serde_json::json;

use crate::client::{Call, Rng, Workload};
use crate::config::Sizes;
use crate::seed;

/// The invitee's preview, anonymous, as in the README.
pub const LOOKUP: &str = "query Preview($token: String!) { invitation(token: $token) { \
    organization { name } role emailHint status expiresAt invitedBy { username } } }";

/// An admin's list page.
pub const PAGE: &str = "query Invitations($org: String!) { \
    orgInvitations(org: { name: $org }, first: 50) { \
    edges { cursor node { id email status role expiresAt organization { name } invitedBy { username } } } \
    pageInfo { hasNextPage endCursor } } }";

/// Joining through a link, as in the README.
pub const ACCEPT: &str = "mutation Accept($token: String!) { acceptInvitation(token: $token) { \
    membership { role organization { name } } invitation { status usageCount } } }";

/// 100 emails at once, with a note; `sendEmail` is the default (true).
pub const CREATE: &str = "mutation Invite($org: String!, $emails: [String!]!) { \
    createOrgInvites(input: { org: { name: $org }, emails: $emails, message: \"Welcome aboard!\" }) { \
    invitations { id email status invitationLink } errors { email code message } } }";

/// The admin screen's live feed, as in the README.
pub const SUBSCRIBE: &str = "subscription Accepted($org: String!) { \
    invitationAccepted(org: { name: $org }) { acceptedAt user { username } membership { role } \
    invitation { id usageCount usesRemaining } } }";

fn body(query: &str, variables: serde_json::Value) -> Bytes {
    Bytes::from(serde_json::to_vec(&json!({ "query": query, "variables": variables })).unwrap())
}

/// Signs access tokens with the server's secret.
#[derive(Clone)]
pub struct Tokens(pub doorman::auth::TokenKeys);

impl Tokens {
    pub fn bearer(&self, user_id: u64) -> Arc<str> {
        let token = self.0.issue(user_id as i64).expect("can sign a token");
        format!(
            "Bearer {}",
            secrecy::ExposeSecret::expose_secret(&token.token)
        )
        .into()
    }
}

/// Bearer tokens of every organization's admin (user `o` administers organization `o`).
pub fn admin_bearers(tokens: &Tokens, sizes: &Sizes) -> Arc<Vec<Arc<str>>> {
    Arc::new((1..=sizes.orgs).map(|o| tokens.bearer(o)).collect())
}

/// `invitation(token:)` on a random known token, anonymous.
pub struct Lookup {
    pub sizes: Sizes,
}

impl Workload for Lookup {
    fn call(&self, _seq: u64, rng: &mut Rng) -> Call {
        let token = seed::known_token(rng.one_to(self.sizes.tokens));
        Call {
            body: body(LOOKUP, json!({ "token": token })),
            authorization: None,
        }
    }
}

/// `orgInvitations(first: 50)` of a random organization, by its admin.
pub struct Page {
    pub sizes: Sizes,
    pub admins: Arc<Vec<Arc<str>>>,
}

impl Workload for Page {
    fn call(&self, _seq: u64, rng: &mut Rng) -> Call {
        let org = rng.one_to(self.sizes.orgs);
        Call {
            body: body(PAGE, json!({ "org": format!("org{org}") })),
            authorization: Some(Arc::clone(&self.admins[org as usize - 1])),
        }
    }
}

/// `acceptInvitation`: request `seq` is fresh account `first_user + seq / orgs` joining
/// organization `seq % orgs + 1` through its link, so every request is a new (account,
/// organization) pair and consecutive requests hit different links.
pub struct Accept {
    pub sizes: Sizes,
    pub first_user: u64,
    pub tokens: Tokens,
}

impl Accept {
    pub fn pair(&self, seq: u64) -> (u64, u64) {
        (
            self.first_user + seq / self.sizes.orgs,
            seq % self.sizes.orgs + 1,
        )
    }
}

impl Workload for Accept {
    fn call(&self, seq: u64, _rng: &mut Rng) -> Call {
        let (user, org) = self.pair(seq);
        Call {
            body: body(ACCEPT, json!({ "token": seed::link_token(org) })),
            authorization: Some(self.tokens.bearer(user)),
        }
    }
}

/// `createOrgInvites` with 100 new emails, round robin over the organizations, by their admins.
pub struct Create {
    pub sizes: Sizes,
    pub admins: Arc<Vec<Arc<str>>>,
    /// Makes the emails of this run unique.
    pub run: u64,
}

impl Workload for Create {
    fn call(&self, seq: u64, _rng: &mut Rng) -> Call {
        let org = seq % self.sizes.orgs + 1;
        let emails: Vec<String> = (1..=100)
            .map(|i| format!("r{}-{seq}-{i}@bench-new.example", self.run))
            .collect();
        Call {
            body: body(
                CREATE,
                json!({ "org": format!("org{org}"), "emails": emails }),
            ),
            authorization: Some(Arc::clone(&self.admins[org as usize - 1])),
        }
    }
}
