//! `organizations`: the groups people are invited into. `name` is a unique lower-case handle.

use sea_orm::entity::prelude::*;

use crate::enums::OrgRole;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub display_name: Option<String>,
    pub members_can_invite: bool,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    /// The role a new invitation grants when its creator names none.
    pub default_invite_role: OrgRole,
    /// How long a new invitation lasts when its creator sets no expiry; `None`: the server's
    /// default.
    pub default_invite_expiry_hours: Option<i32>,
    /// The `allowed_email_domains` of a new link when its creator gives none
    /// (comma-separated, empty means any).
    pub default_allowed_email_domains: String,
    /// Set when the organization was deleted; its name is then set aside.
    pub deleted_at: Option<DateTimeUtc>,
    /// An https image shown at the top of the emails sent for it.
    pub logo_url: Option<String>,
    /// `#rrggbb`: the colour of its emails' button and top border.
    pub accent_color: Option<String>,
    /// Where replies to its emails go.
    pub reply_to: Option<String>,
    /// A line at the foot of its emails.
    pub email_footer: Option<String>,
    /// The language of its emails when an invitation names none.
    pub default_locale: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
