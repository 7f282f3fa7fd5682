//! `/invite/{token}/unsubscribe`: the `List-Unsubscribe` link of invitation emails. A mail
//! client's one-click unsubscribe (RFC 8058: a POST with `List-Unsubscribe=One-Click`)
//! declines the invitation; a GET (a person who opened the link) goes to the invitation page,
//! where declining is a button, so that nothing that merely fetches links acts on them.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::state::HttpState;
use crate::domain::invite_token::InviteToken;
use crate::error::ErrorCode;
use crate::service::invitations::redeem;

/// Whether the body is the one-click form, URL-encoded or multipart.
async fn is_one_click(request: Request) -> bool {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/form-data"));
    if multipart {
        let Ok(mut form) = Multipart::from_request(request, &()).await else {
            return false;
        };
        while let Ok(Some(field)) = form.next_field().await {
            if field.name() == Some("List-Unsubscribe") {
                return field.text().await.is_ok_and(|value| value == "One-Click");
            }
        }
        return false;
    }
    match Form::<HashMap<String, String>>::from_request(request, &()).await {
        Ok(Form(form)) => form.get("List-Unsubscribe").map(String::as_str) == Some("One-Click"),
        Err(_) => false,
    }
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

/// `POST` with `List-Unsubscribe=One-Click`, as a URL-encoded or a multipart form (RFC 8058
/// allows both): declines the invitation. 200 when it is declined (or was answered before:
/// there is nothing left to unsubscribe from), 404 for a token that names no emailed
/// invitation. No per-address limit: mail providers send every user's unsubscribe from a few
/// addresses, and a 256-bit token is not guessed.
pub async fn one_click(
    State(state): State<HttpState>,
    Path(token): Path<String>,
    request: Request,
) -> Response {
    if !is_one_click(request).await {
        return (
            StatusCode::BAD_REQUEST,
            "expected the form List-Unsubscribe=One-Click\n",
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
