//! `/invite/{token}/unsubscribe`: the `List-Unsubscribe` link of invitation emails. A mail
//! client's one-click unsubscribe (RFC 8058: a POST with `List-Unsubscribe=One-Click`)
//! declines the invitation; a GET (a person who opened the link) goes to the invitation page,
//! where declining is a button, so that nothing that merely fetches links acts on them.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::client_ip;
use super::state::HttpState;
use crate::auth::Viewer;
use crate::domain::invite_token::InviteToken;
use crate::error::ErrorCode;
use crate::service::invitations::redeem;
use crate::service::rate_limits::Action;

/// The one-click form: `List-Unsubscribe=One-Click`.
#[derive(serde::Deserialize)]
pub struct OneClick {
    #[serde(rename = "List-Unsubscribe")]
    list_unsubscribe: String,
}

/// `GET`: the invitation page.
pub async fn page(Path(token): Path<String>) -> Redirect {
    // A token is 43 URL-safe characters; anything else goes to the page of no token.
    let token = if InviteToken::parse(&token).is_some() {
        token
    } else {
        String::new()
    };
    Redirect::to(&format!("/invite/{token}"))
}

/// `POST` with `List-Unsubscribe=One-Click`: declines the invitation. 200 when it is declined
/// (or was answered before: there is nothing left to unsubscribe from), 404 for a token that
/// names no emailed invitation. Held to the same per-address limit as the other uses of a
/// token (`DOORMAN_RATE_LIMIT_TOKEN_PER_IP`): 429 with `Retry-After` past it.
pub async fn one_click(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<OneClick>,
) -> Response {
    if form.list_unsubscribe != "One-Click" {
        return (
            StatusCode::BAD_REQUEST,
            "expected List-Unsubscribe=One-Click\n",
        )
            .into_response();
    }
    let client = client_ip::resolve(peer.ip(), &headers, &state.ctx.settings.trusted_proxies);
    let limits = &state.transport.rate_limits;
    if let Err(err) = limits
        .check(Action::UseToken, client, &Viewer::Anonymous)
        .await
    {
        let retry_after = err.retry_after().unwrap_or(1).to_string();
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after)],
            "too many attempts: try again later\n",
        )
            .into_response();
    }
    let Some(token) = InviteToken::parse(&token) else {
        return (StatusCode::NOT_FOUND, "no such invitation\n").into_response();
    };
    match redeem::unsubscribe(&state.ctx, &token).await {
        Ok(()) => (StatusCode::OK, "unsubscribed: the invitation is declined\n").into_response(),
        Err(err) if err.code() == ErrorCode::InvitationNotFound => {
            (StatusCode::NOT_FOUND, "no such invitation\n").into_response()
        }
        // Already declined, cancelled, expired or accepted: no email about it will come.
        Err(err)
            if matches!(
                err.code(),
                ErrorCode::InvitationExpired
                    | ErrorCode::InvitationCancelled
                    | ErrorCode::InvitationDeclined
                    | ErrorCode::InvitationAlreadyAccepted
                    | ErrorCode::InvitationUsedUp
                    | ErrorCode::InvitationSuperseded
            ) =>
        {
            (StatusCode::OK, "nothing to unsubscribe from\n").into_response()
        }
        Err(err) => {
            tracing::warn!(error = %err, "one-click unsubscribe failed");
            (StatusCode::SERVICE_UNAVAILABLE, "try again later\n").into_response()
        }
    }
}
