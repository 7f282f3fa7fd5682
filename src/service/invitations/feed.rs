//! What a subscriber of an organization's events may follow and see.

use entity::{invitation_event, membership, organization, user};

use crate::auth::Viewer;
use crate::domain::EventKind;
use crate::domain::invitation_rules::InvitationAction;
use crate::error::AppError;
use crate::service::bus::BusEvent;
use crate::service::organizations::OrgRef;
use crate::service::{Ctx, require_user};

use super::{InvitationView, is_invitee, require_org, require_org_admin};

/// An event as a subscriber sees it.
pub struct LoadedEvent {
    pub row: invitation_event::Model,
    /// For an invitation's event.
    pub invitation: Option<InvitationView>,
    pub actor: Option<user::Model>,
    /// The member an event about a member is about.
    pub subject: Option<user::Model>,
    /// For ACCEPTED: the membership the accept created.
    pub membership: Option<membership::Model>,
    /// Whether the subscriber is still an admin of the event's organization, as of this
    /// event: a feed whose subscriber is not ends.
    pub viewer_is_admin: bool,
}

impl LoadedEvent {
    pub fn kind(&self) -> EventKind {
        self.row.kind
    }
}

/// Checks that the viewer may follow an organization's events (its admins only).
pub async fn authorize_feed(
    ctx: &Ctx,
    viewer: &Viewer,
    org: &OrgRef,
) -> Result<organization::Model, AppError> {
    require_user(viewer)?;
    let org = require_org(&ctx.db, org, false).await?;
    require_org_admin(&ctx.db, viewer, &org).await?;
    Ok(org)
}

/// Loads what subscribers receive for one committed event; `None` if it is gone. The rows
/// are read once per event and process (with 10,000 subscribers, not 10,000 times); what
/// depends on the subscriber (whether it manages the invitation) is decided here from them.
pub async fn load(
    ctx: &Ctx,
    viewer: &Viewer,
    event: &BusEvent,
) -> Result<Option<LoadedEvent>, AppError> {
    let Some(shared) = ctx.bus.shared(event.id).await? else {
        return Ok(None);
    };
    // The bus says which organization an event is about only to filter; the row decides.
    if shared.row.organization_id != event.organization_id {
        tracing::warn!(
            event = event.id,
            "an event on the bus names another organization than its row"
        );
        return Ok(None);
    }
    let viewer_is_admin = viewer
        .user()
        .is_some_and(|user| shared.org_admins.contains(&user.id));
    let invitation = shared.invitation.as_ref().map(|model| InvitationView {
        token_superseded: false,
        viewer_is_admin: viewer_is_admin
            || (model.action == InvitationAction::RegisterAccount
                && viewer.user().is_some_and(|user| user.is_server_admin)),
        viewer_is_invitee: is_invitee(viewer, model),
        model: model.clone(),
        link: None,
    });
    Ok(Some(LoadedEvent {
        row: shared.row.clone(),
        invitation,
        actor: shared.actor.clone(),
        subject: shared.subject.clone(),
        membership: shared.membership.clone(),
        viewer_is_admin,
    }))
}
