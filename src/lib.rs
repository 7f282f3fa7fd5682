//! Doorman: an invitation service with a GraphQL API.
//!
//! Dependencies point one way: `http → graphql → service → {domain, entity, email::outbox}`.
//! `domain` is pure (no I/O, no crate of ours); only `service` and the outbox worker run
//! queries; `graphql` never sees an `ActiveModel` and `service` never sees an async-graphql type.

/// Build and run the server.
pub mod app;
/// Viewer, access tokens, password hashing.
pub mod auth;
/// Typed settings with defaults, `DOORMAN_*` variables and flags.
pub mod config;
/// Connection, migrations and write transactions.
pub mod db;
/// Pure rules: emails, tokens, roles, invitation states.
pub mod domain;
/// Mail transports, the invitation email and the outbox worker.
pub mod email;
/// `AppError` and the API's error codes.
pub mod error;
/// The GraphQL schema and resolvers.
pub mod graphql;
/// The transport: routes, GraphQL over HTTP, WebSocket, persisted queries, GraphiQL, the
/// client's IP.
pub mod http;
/// Use cases, one transaction each, with authorization.
pub mod service;
/// Logging setup.
pub mod telemetry;
