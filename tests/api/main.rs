//! API tests: one binary, a real server and a fresh database per test (`support::TestApp`).

mod accounts;
mod authorization;
mod cli;
mod concurrency;
mod dataloader;
mod document_shape;
mod email_delivery;
mod error_codes;
mod faults;
mod federation;
mod hostile_inputs;
mod hostile_requests;
mod invitations_accept;
mod invitations_admin;
mod invitations_create;
mod limits;
mod observability;
mod organizations;
mod persisted_queries;
mod rate_limits;
mod response_shape;
mod schema;
mod shutdown;
mod subscriptions;
mod support;
mod transport;
