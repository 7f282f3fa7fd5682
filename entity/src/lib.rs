//! SeaORM entities, one module per table, and the enums of their columns (`enums`). Rows only:
//! no rules and no API types live here.

pub mod email_outbox;
pub mod email_verification;
pub mod enums;
pub mod external_identity;
pub mod idempotency_key;
pub mod invitation;
pub mod invitation_event;
pub mod invitation_redemption;
pub mod invitation_token;
pub mod membership;
pub mod organization;
pub mod server_setting;
pub mod user;
pub mod webhook_delivery;
pub mod webhook_endpoint;

pub mod prelude {
    pub use super::email_outbox::Entity as EmailOutbox;
    pub use super::email_verification::Entity as EmailVerification;
    pub use super::external_identity::Entity as ExternalIdentity;
    pub use super::idempotency_key::Entity as IdempotencyKey;
    pub use super::invitation::Entity as Invitation;
    pub use super::invitation_event::Entity as InvitationEvent;
    pub use super::invitation_redemption::Entity as InvitationRedemption;
    pub use super::invitation_token::Entity as InvitationToken;
    pub use super::membership::Entity as Membership;
    pub use super::organization::Entity as Organization;
    pub use super::server_setting::Entity as ServerSetting;
    pub use super::user::Entity as User;
    pub use super::webhook_delivery::Entity as WebhookDelivery;
    pub use super::webhook_endpoint::Entity as WebhookEndpoint;
}
