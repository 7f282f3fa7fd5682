//! API tests: one binary, a real server and a fresh database per test (`support::TestApp`).

mod accounts;
mod cli;
mod concurrency;
mod dataloader;
mod email_delivery;
mod federation;
mod invitations_accept;
mod invitations_admin;
mod invitations_create;
mod limits;
mod observability;
mod organizations;
mod persisted_queries;
mod schema;
mod shutdown;
mod subscriptions;
mod support;
mod transport;
