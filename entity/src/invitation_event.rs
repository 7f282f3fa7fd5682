//! `invitation_events`: the append-only log of an organization's invitation transitions and
//! membership and settings changes (who, what, to whom, when): its audit log.

use sea_orm::entity::prelude::*;

use crate::enums::EventKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitation_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `None` for events about a member or the organization itself.
    pub invitation_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub kind: EventKind,
    pub actor_id: Option<i64>,
    pub created_at: DateTimeUtc,
    /// The member the event is about (whose role changed, who was removed or left).
    pub subject_id: Option<i64>,
    /// What changed: a JSON array of `{"field", "before", "after"}`.
    pub changes: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
