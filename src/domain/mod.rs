//! Pure rules of the product: parsing, roles, token format, invitation states. No I/O here:
//! nothing in this folder runs a query or imports async-graphql or another module of ours; of
//! our crates it uses only the column enums of `entity` (the values these rules are about).

pub mod branding;
pub mod email_address;
pub mod invitation_extras;
pub mod invitation_rules;
pub mod invite_token;
pub mod names;
pub mod org_role;

pub use entity::enums::{EmailDeliveryStatus, EventKind};
