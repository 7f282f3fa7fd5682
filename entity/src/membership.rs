//! `memberships`: one row per (organization, user), with the role and the invitation used.

use sea_orm::entity::prelude::*;

use crate::enums::OrgRole;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "memberships")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub user_id: i64,
    pub role: OrgRole,
    pub invitation_id: Option<i64>,
    pub joined_at: DateTimeUtc,
    /// JSON object copied from the invitation used, for the organization's admins.
    pub metadata: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
