//! The object types that point at one another (a user's memberships, a membership's
//! organization, an organization's invitations, an invitation's inviter), declared here,
//! below the feature files; each feature file resolves its own type's fields
//! (`#[Object] impl`), so those files import one another one way only.

use entity::{membership, organization, user};

use crate::service::invitations::InvitationView;

/// An account, as the request's viewer sees it.
pub struct User {
    pub(super) model: user::Model,
    /// The account just signed in by `register`/`login`: it sees itself even though the
    /// request was anonymous.
    pub(super) signed_in: bool,
}

impl User {
    pub fn new(model: user::Model) -> Self {
        Self {
            model,
            signed_in: false,
        }
    }

    /// `model` as the answer of a mutation about an account: the caller's own account shows
    /// what it shows its owner, anyone else's what the viewer may see.
    pub fn for_viewer(model: user::Model, viewer: &crate::auth::Viewer) -> Self {
        Self {
            signed_in: viewer.user_id() == Some(model.id),
            model,
        }
    }
}

pub struct Organization(pub organization::Model);

pub struct Membership(pub membership::Model);

/// An invitation: to an email, an open multi-use link, or a registration invitation.
pub struct Invitation(pub InvitationView);
