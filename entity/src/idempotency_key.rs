//! `idempotency_keys`: the first answer to a create or resend call made with an
//! `idempotencyKey`, so that a retry returns it instead of acting twice. Kept 24 hours.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// The mutation's name: a key is scoped to one caller and one operation.
    pub operation: String,
    pub key: String,
    /// SHA-256 of the call's input: the same key with another input is a `CONFLICT`.
    pub request_digest: String,
    /// The answer as JSON; null while the first call is still running.
    pub response: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
