//! What a subscriber of an organization's invitation events may follow and see.

use entity::{membership, organization, user};

use crate::auth::Viewer;
use crate::domain::InvitationEventKind;
use crate::domain::invitation_rules::InvitationAction;
use crate::error::AppError;
use crate::service::bus::BusEvent;
use crate::service::organizations::OrgRef;
use crate::service::{Ctx, require_user};

use super::{InvitationView, is_invitee, require_org, require_org_admin};

/// An event as a subscriber sees it.
pub struct LoadedEvent {
    pub kind: InvitationEventKind,
    pub at: chrono::DateTime<chrono::Utc>,
    pub invitation: InvitationView,
    pub actor: Option<user::Model>,
    /// For ACCEPTED: the membership the accept created.
    pub membership: Option<membership::Model>,
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
    let model = &shared.invitation;
    let viewer_is_admin = viewer.user().is_some_and(|user| {
        (model.action == InvitationAction::RegisterAccount && user.is_server_admin)
            || (model.organization_id.is_some() && shared.org_admins.contains(&user.id))
    });
    Ok(Some(LoadedEvent {
        kind: shared.kind,
        at: shared.at,
        invitation: InvitationView {
            viewer_is_admin,
            viewer_is_invitee: is_invitee(viewer, model),
            model: model.clone(),
            link: None,
        },
        actor: shared.actor.clone(),
        membership: shared.membership.clone(),
    }))
}
