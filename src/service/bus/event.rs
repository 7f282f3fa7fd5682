//! What travels on the bus, whichever way it goes.

use serde::{Deserialize, Serialize};

use crate::domain::EventKind;

/// What travels on the bus: enough to filter by organization and kind; subscribers load the
/// row itself.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BusEvent {
    pub id: i64,
    /// `None` for an event about a member or the organization.
    pub invitation_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub kind: EventKind,
    pub actor_id: Option<i64>,
}
