//! The schema's roots, merged from the feature files, and its SDL.

use async_graphql::{MergedObject, SDLExportOptions, Schema, SchemaBuilder};

use super::{
    accounts, audit, federation, invitations, organizations, subscription_streams, webhooks,
};

#[derive(MergedObject, Default)]
pub struct Query(
    accounts::AccountsQuery,
    organizations::OrganizationsQuery,
    invitations::queries::InvitationsQuery,
    audit::AuditQuery,
    webhooks::WebhooksQuery,
    federation::EntitiesQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    accounts::AccountsMutation,
    organizations::OrganizationsMutation,
    invitations::create::CreateMutation,
    invitations::redeem::RedeemMutation,
    invitations::manage::ManageMutation,
    webhooks::WebhooksMutation,
);

#[derive(async_graphql::MergedSubscription, Default)]
pub struct Subscription(subscription_streams::LeanSubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The SDL that `schema.graphql` holds, `doorman schema` prints and `_service { sdl }` serves:
/// an Apollo Federation v2 subgraph, subscriptions included.
pub fn export_sdl() -> String {
    schema_builder().finish().sdl_with_options(
        SDLExportOptions::new()
            .federation()
            .compose_directive()
            .include_specified_by(),
    )
}

pub(super) fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .enable_federation()
    .enable_subscription_in_federation()
}
