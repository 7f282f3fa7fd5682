//! Doorman: an invitation service with a GraphQL API.
//!
//! Dependencies point one way: `http → graphql → service → {domain, entity, email::outbox}`.
//! `domain` is pure (no I/O, no crate of ours); only `service` and the outbox worker run
//! queries; `graphql` never sees an `ActiveModel` and `service` never sees an async-graphql type.

/// Build and run the server.
pub mod app;
/// Viewer, access tokens, password hashing.
pub mod auth;
/// The client's IP: the TCP peer, or `X-Forwarded-For` from a trusted proxy.
pub mod client_ip;
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
/// GraphiQL page and its vendored scripts and styles, all same-origin.
pub mod graphiql;
/// The GraphQL schema and resolvers.
pub mod graphql;
/// GraphQL over HTTP: `Accept`, status codes, request shapes, the batch cap.
pub mod graphql_over_http;
/// Routes and middleware.
pub mod http;
/// Automatic persisted queries (Apollo's APQ): the hash → query store.
pub mod persisted_queries;
/// Use cases, one transaction each, with authorization.
pub mod service;
/// Logging setup.
pub mod telemetry;
