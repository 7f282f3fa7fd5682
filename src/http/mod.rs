//! The transport: the HTTP surface (`/graphql` by POST and GET and GraphiQL for browsers,
//! `/graphql/ws`, `/healthz`, `/readyz`, `/metrics`, the invitation page `/invite/{token}`
//! and its emails' one-click unsubscribe)
//! and its middleware. The viewer, the client
//! IP and the per-request loaders enter the schema here, once per request or connection.

pub mod client_ip;
pub mod graphiql;
mod graphql;
pub mod page_languages;
pub mod pages;
pub mod persisted_queries;
pub mod request;
pub mod response;
pub mod state;
mod unsubscribe;
mod websocket;

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use self::page_languages::PageLanguages;
use self::persisted_queries::PersistedQueries;
use self::response::{MediaType, Rejection};
use self::state::{BODY_LIMIT_BYTES, HttpState};

pub use self::state::Transport;
use crate::service;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The whole HTTP surface; the hosted pages in each of `page_languages`, and persisted
/// queries shared through `redis` when there is one.
pub fn router(
    transport: Transport,
    page_languages: PageLanguages,
    redis: Option<std::sync::Arc<crate::service::redis_store::RedisStore>>,
) -> Router {
    let settings = &transport.ctx.settings;
    let cors = cors_layer(&settings.cors_origins);
    let request_timeout = Duration::from_secs(settings.request_timeout_seconds);
    let sign_in_origin = (transport.ctx.oidc.as_ref())
        .and_then(|oidc| oidc.browser_sign_in())
        .and_then(|browser| browser.token_origin());
    let pages = pages::routes(
        settings.lifecycle.invite_success_url.as_deref(),
        sign_in_origin.as_deref(),
        std::sync::Arc::new(page_languages),
    );
    let state = HttpState {
        transport,
        persisted: PersistedQueries::new(persisted_queries::CAPACITY, redis),
    };
    Router::new()
        .route(
            "/graphql",
            get(graphql::graphql_get).post(graphql::graphql_post),
        )
        .route("/graphql/ws", get(websocket::graphql_ws))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route(
            "/invite/{token}/unsubscribe",
            get(unsubscribe::page).post(unsubscribe::one_click),
        )
        .merge(graphiql::routes())
        .merge(pages)
        .with_state(state)
        // Bodies are read up to the limit, never further; more is a 413 in JSON.
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(cors)
        .layer(middleware::from_fn_with_state(
            request_timeout,
            answer_within,
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Answers 408 (`REQUEST_TIMEOUT`, in JSON) for a request still running after `timeout`;
/// dropping its future stops its work and rolls back its transaction. Upgraded WebSockets
/// are not held to it: their handler returns at once.
async fn answer_within(
    State(timeout): State<Duration>,
    request: axum::extract::Request,
    next: Next,
) -> Response {
    let media = MediaType::negotiate(request.headers()).unwrap_or(MediaType::Json);
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(timeout_seconds = timeout.as_secs(), "request timed out");
            Rejection::timeout(timeout).into_response(media)
        }
    }
}

/// CORS for the configured origins only; with none, browsers on other origins get no access.
fn cors_layer(origins: &[HeaderValue]) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins.iter().cloned()))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("apollo-require-preflight"),
            HeaderName::from_static("x-apollo-operation-name"),
            REQUEST_ID,
        ])
        .expose_headers([REQUEST_ID])
        .max_age(Duration::from_secs(600))
}

/// Every log line of a request carries its method, path, request id and, once known, the
/// GraphQL operation name.
fn request_span(request: &axum::extract::Request) -> tracing::Span {
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %pages::logged_path(request.uri().path()),
        request_id,
        operation = tracing::field::Empty,
    )
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// This process's metrics, in the OpenMetrics text format Prometheus scrapes.
async fn metrics(State(state): State<HttpState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.ctx.metrics.encode(),
    )
        .into_response()
}

/// Ready when the database answers.
async fn readyz(State(state): State<HttpState>) -> Response {
    let ping = service::database_reachable(&state.ctx).await;
    match ping {
        Ok(_) => Json(serde_json::json!({ "status": "ready" })).into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "database is not reachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "database unreachable" })),
            )
                .into_response()
        }
    }
}
