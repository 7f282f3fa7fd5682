//! The values of the enum columns, each spelled as the database stores it (`string_value`, also
//! the API's and the event bus's spelling; `ActiveEnum::to_value` and serde give it). The rules about them live in the main
//! crate's `domain`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// `Display` as the stored spelling, for messages and logs.
macro_rules! display_as_stored {
    ($($name:ident),+) => {
        $(impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.to_value())
            }
        })+
    };
}

display_as_stored!(
    InvitationStatus,
    InvitationAction,
    OrgRole,
    EmailDeliveryStatus,
    EventKind,
    OutboxStatus,
    OutboxKind,
    WebhookStatus,
    DeliveryStatus
);

/// States of an invitation. `EXPIRED` is stored by the expiry sweep and also derived at read
/// time for a `PENDING` row past its `expires_at` that the sweep has not reached yet.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InvitationStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "USED_UP")]
    UsedUp,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    #[sea_orm(string_value = "EXPIRED")]
    Expired,
}

/// What accepting an invitation does.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InvitationAction {
    #[sea_orm(string_value = "JOIN_ORG")]
    JoinOrg,
    #[sea_orm(string_value = "REGISTER_ACCOUNT")]
    RegisterAccount,
}

/// A member's role in an organization, ordered by power: VISITOR < MEMBER < ADMIN.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrgRole {
    #[sea_orm(string_value = "VISITOR")]
    Visitor,
    #[sea_orm(string_value = "MEMBER")]
    Member,
    #[sea_orm(string_value = "ADMIN")]
    Admin,
}

/// Where an invitation's email stands.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EmailDeliveryStatus {
    #[sea_orm(string_value = "NOT_REQUESTED")]
    NotRequested,
    #[sea_orm(string_value = "QUEUED")]
    Queued,
    #[sea_orm(string_value = "SENT")]
    Sent,
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// Kinds of rows in the event log: an invitation's transitions, then changes to members and
/// to the organization.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventKind {
    #[sea_orm(string_value = "CREATED")]
    Created,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    #[sea_orm(string_value = "RESENT")]
    Resent,
    #[sea_orm(string_value = "PAUSED")]
    Paused,
    #[sea_orm(string_value = "RESUMED")]
    Resumed,
    #[sea_orm(string_value = "REGENERATED")]
    Regenerated,
    /// The expiry sweep found it past `expires_at`.
    #[sea_orm(string_value = "EXPIRED")]
    Expired,
    /// The one reminder before expiry was queued.
    #[sea_orm(string_value = "REMINDED")]
    Reminded,
    /// Someone holding its token asked for a new invitation.
    #[sea_orm(string_value = "RENEWAL_REQUESTED")]
    RenewalRequested,
    /// The mailbox it was sent to said it was not meant for them; it was cancelled.
    #[sea_orm(string_value = "WRONG_RECIPIENT")]
    WrongRecipient,
    #[sea_orm(string_value = "MEMBER_ROLE_CHANGED")]
    MemberRoleChanged,
    #[sea_orm(string_value = "MEMBER_REMOVED")]
    MemberRemoved,
    #[sea_orm(string_value = "MEMBER_LEFT")]
    MemberLeft,
    #[sea_orm(string_value = "ORG_UPDATED")]
    OrgUpdated,
    #[sea_orm(string_value = "ORG_DELETED")]
    OrgDeleted,
    #[sea_orm(string_value = "WEBHOOK_DISABLED")]
    WebhookDisabled,
}

/// States of an outbox row.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OutboxStatus {
    #[sea_orm(string_value = "QUEUED")]
    Queued,
    #[sea_orm(string_value = "SENDING")]
    Sending,
    #[sea_orm(string_value = "SENT")]
    Sent,
    #[sea_orm(string_value = "FAILED")]
    Failed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// What an outbox message is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OutboxKind {
    /// An invitation, with its link.
    #[sea_orm(string_value = "INVITATION")]
    Invitation,
    /// The one reminder of an invitation before it expires, with its new link.
    #[sea_orm(string_value = "REMINDER")]
    Reminder,
    /// A link that proves the account owns its email.
    #[sea_orm(string_value = "VERIFY_EMAIL")]
    VerifyEmail,
    /// To the old address: the account's email was changed.
    #[sea_orm(string_value = "EMAIL_CHANGED")]
    EmailChanged,
    /// To the inviter: the invitation reached someone it was not meant for.
    #[sea_orm(string_value = "WRONG_RECIPIENT")]
    WrongRecipient,
    /// To an organization's admins: a webhook endpoint was disabled (rendered when queued).
    #[sea_orm(string_value = "WEBHOOK_DISABLED")]
    WebhookDisabled,
}

/// States of a webhook endpoint.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WebhookStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Paused by an admin: deliveries wait, in order, until it is resumed.
    #[sea_orm(string_value = "PAUSED")]
    Paused,
    /// Failed for too long: deliveries wait until an admin resumes it.
    #[sea_orm(string_value = "DISABLED")]
    Disabled,
}

/// States of a webhook delivery.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryStatus {
    /// Not delivered yet: waiting for its turn or its next try.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    /// Every try failed.
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    /// Every value reads back from its stored spelling, and serde (the event bus, whose
    /// PostgreSQL `NOTIFY` payloads are written in SQL) spells it the same way.
    fn round_trips<E>()
    where
        E: ActiveEnum<Value = String>
            + Iterable
            + Serialize
            + PartialEq
            + std::fmt::Debug
            + std::fmt::Display,
    {
        for value in E::iter() {
            let stored = value.to_value();
            assert_eq!(E::try_from_value(&stored).unwrap(), value);
            assert_eq!(value.to_string(), stored);
            assert_eq!(
                serde_json::to_string(&value).unwrap(),
                format!("\"{stored}\"")
            );
        }
        assert!(E::try_from_value(&"NOT_A_VALUE".to_owned()).is_err());
    }

    #[test]
    fn every_enum_round_trips_through_its_stored_spelling() {
        round_trips::<InvitationStatus>();
        round_trips::<InvitationAction>();
        round_trips::<OrgRole>();
        round_trips::<EmailDeliveryStatus>();
        round_trips::<EventKind>();
        round_trips::<OutboxStatus>();
        round_trips::<OutboxKind>();
        round_trips::<WebhookStatus>();
        round_trips::<DeliveryStatus>();
    }

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(OrgRole::Visitor < OrgRole::Member);
        assert!(OrgRole::Member < OrgRole::Admin);
    }
}
