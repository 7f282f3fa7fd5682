//! Doorman: an invitation service with a GraphQL API.
//!
//! Imports run one way, down these layers (`tests/api/layers.rs` checks it, and that no
//! files import each other in a circle):
//!
//! `app` → `http` → `graphql` → `service` → `email` → {`config`, `auth`, `error`, `telemetry`,
//! `db`} → `domain`, with `entity` below them all.
//!
//! `domain` is pure (no I/O); only `service` and the outbox worker run queries; `graphql` never
//! sees an `ActiveModel` and `service` never sees an async-graphql or HTTP type.

/// Build and run the server: wires the layers together; nothing imports it.
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
/// The GraphQL schema, the engine that runs it within its limits, and the resolvers.
pub mod graphql;
/// The transport: routes, GraphQL over HTTP, WebSocket, persisted queries, GraphiQL, the
/// client's IP.
pub mod http;
/// Use cases, one transaction each, with authorization; the event log and its live feed.
pub mod service;
/// Logging set-up and the metrics registry.
pub mod telemetry;
