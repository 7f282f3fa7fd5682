//! API tests: one binary, a real server and a fresh database per test (`support::TestApp`).

mod accounts;
mod cli;
mod concurrency;
mod email_delivery;
mod invitations_accept;
mod invitations_admin;
mod invitations_create;
mod organizations;
mod schema;
mod shutdown;
mod subscriptions;
mod support;
mod transport;
