//! `AppError`: every failure a client can see, with its code from the API contract, converted to a
//! GraphQL error in one place. Internal causes are logged, never sent.

use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, SqlErr};

use crate::auth::TokenProblem;
use crate::domain::invitation_rules::Refusal;

/// Every code a client can meet: the `extensions.code` of an error, and the `code` of a
/// per-item outcome (`InviteError`, `ResendError`). One list, spelled as clients see it; the
/// schema documents it as the `ErrorCode` enum.
#[derive(
    async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// No access token where one is needed, a wrong login or password, or an access token that
    /// is sent but expired or invalid (`extensions.reason`).
    Unauthenticated,
    /// Signed in, but not allowed.
    Forbidden,
    /// No such organization, invitation or user, or one the caller may not see.
    NotFound,
    /// An invalid argument, a value that does not fit its type, or a request over a limit
    /// (`extensions.limit` names the setting).
    BadUserInput,
    /// No invitation has this token.
    InvitationNotFound,
    InvitationExpired,
    InvitationCancelled,
    InvitationDeclined,
    /// An email invitation that was used.
    InvitationAlreadyAccepted,
    /// A link with no uses left.
    InvitationUsedUp,
    /// A newer token was sent for this invitation.
    InvitationSuperseded,
    /// An open link its admins paused.
    InvitationPaused,
    /// The caller's email is not the invited one.
    EmailMismatch,
    /// The caller's email is not in a domain the link allows.
    EmailDomainNotAllowed,
    /// Joining through this invitation (or listing one's invitations) needs a verified email.
    EmailNotVerified,
    /// An email-verification token that is unknown, used, or for an address the account no
    /// longer has.
    InvalidToken,
    /// An email-verification token whose time has run out: request a new one.
    TokenExpired,
    /// Already a member of the organization.
    AlreadyMember,
    /// A username, email or organization name that is taken.
    Conflict,
    /// The change would leave the organization without an admin.
    LastAdmin,
    /// Too many calls, or a quota reached (`extensions.retryAfter`).
    RateLimited,
    /// The request outlived `DOORMAN_REQUEST_TIMEOUT_SECONDS` (HTTP 408).
    RequestTimeout,
    /// Anything unexpected; the details are in the server's log.
    InternalServerError,
    /// The document does not parse.
    GraphqlParseFailed,
    /// The document does not fit the schema.
    GraphqlValidationFailed,
    /// A persisted-query hash the server does not know (yet): send the query with it.
    PersistedQueryNotFound,
    /// Per item of a bulk invite or resend: not an email address.
    InvalidEmail,
    /// Per item of a bulk invite or resend: named more than once in the request.
    DuplicateInRequest,
    /// Per item of a bulk invite: the email has a pending invitation already.
    AlreadyInvited,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::InvitationNotFound => "INVITATION_NOT_FOUND",
            Self::InvitationExpired => "INVITATION_EXPIRED",
            Self::InvitationCancelled => "INVITATION_CANCELLED",
            Self::InvitationDeclined => "INVITATION_DECLINED",
            Self::InvitationAlreadyAccepted => "INVITATION_ALREADY_ACCEPTED",
            Self::InvitationUsedUp => "INVITATION_USED_UP",
            Self::InvitationSuperseded => "INVITATION_SUPERSEDED",
            Self::InvitationPaused => "INVITATION_PAUSED",
            Self::EmailMismatch => "EMAIL_MISMATCH",
            Self::EmailDomainNotAllowed => "EMAIL_DOMAIN_NOT_ALLOWED",
            Self::EmailNotVerified => "EMAIL_NOT_VERIFIED",
            Self::InvalidToken => "INVALID_TOKEN",
            Self::TokenExpired => "TOKEN_EXPIRED",
            Self::AlreadyMember => "ALREADY_MEMBER",
            Self::Conflict => "CONFLICT",
            Self::LastAdmin => "LAST_ADMIN",
            Self::RateLimited => "RATE_LIMITED",
            Self::RequestTimeout => "REQUEST_TIMEOUT",
            Self::InternalServerError => "INTERNAL_SERVER_ERROR",
            Self::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            Self::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::InvalidEmail => "INVALID_EMAIL",
            Self::DuplicateInRequest => "DUPLICATE_IN_REQUEST",
            Self::AlreadyInvited => "ALREADY_INVITED",
        }
    }
}

/// A failure of a use case: a client error with a code and a message for people, or an internal
/// error whose cause is logged and hidden.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    Client { code: ErrorCode, message: String },
    /// `RATE_LIMITED`, with the whole seconds until a retry can succeed (`extensions.retryAfter`).
    #[error("{message}")]
    RateLimited { message: String, retry_after: u64 },
    /// `BAD_USER_INPUT` for going over a configured cap; `extensions.limit` names its setting.
    #[error("{message}")]
    OverLimit {
        message: String,
        setting: &'static str,
    },
    /// `UNAUTHENTICATED` for an access token that was sent but is refused;
    /// `extensions.reason` says why.
    #[error("{}", .0.message())]
    BadToken(TokenProblem),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Client {
            code,
            message: message.into(),
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            ErrorCode::Unauthenticated,
            "sign in first: this needs a valid access token",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadUserInput, message)
    }

    /// `INVITATION_NOT_FOUND`: no invitation has the token (or it is not a token at all).
    pub fn invitation_not_found() -> Self {
        Self::new(
            ErrorCode::InvitationNotFound,
            "no invitation has this token",
        )
    }

    /// `RATE_LIMITED`: retry in `retry_after` seconds (at least 1; see [`whole_seconds`]).
    pub fn rate_limited(message: impl Into<String>, retry_after: u64) -> Self {
        Self::RateLimited {
            message: message.into(),
            retry_after: retry_after.max(1),
        }
    }

    /// `BAD_USER_INPUT` for a request over the cap that `setting` configures.
    pub fn over_limit(message: impl Into<String>, setting: &'static str) -> Self {
        Self::OverLimit {
            message: message.into(),
            setting,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Client { code, .. } => *code,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::OverLimit { .. } => ErrorCode::BadUserInput,
            Self::BadToken(_) => ErrorCode::Unauthenticated,
            Self::Internal(_) => ErrorCode::InternalServerError,
        }
    }

    /// Seconds until a retry can succeed, for `RATE_LIMITED` errors.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        Self::Internal(err.into())
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        Self::Internal(err)
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        let (code, message) = match refusal {
            Refusal::Expired => (ErrorCode::InvitationExpired, "this invitation has expired"),
            Refusal::Cancelled => (
                ErrorCode::InvitationCancelled,
                "this invitation was cancelled",
            ),
            Refusal::Declined => (
                ErrorCode::InvitationDeclined,
                "this invitation was declined",
            ),
            Refusal::AlreadyAccepted => (
                ErrorCode::InvitationAlreadyAccepted,
                "this invitation has already been accepted",
            ),
            Refusal::UsedUp => (
                ErrorCode::InvitationUsedUp,
                "this invitation link has no uses left",
            ),
            Refusal::EmailMismatch => (
                ErrorCode::EmailMismatch,
                "this invitation is for a different email address",
            ),
            Refusal::Paused => (
                ErrorCode::InvitationPaused,
                "this link is paused: ask the organization's admins",
            ),
            Refusal::DomainNotAllowed => (
                ErrorCode::EmailDomainNotAllowed,
                "this link is only for email addresses in the domains it allows",
            ),
            Refusal::EmailNotVerified => (
                ErrorCode::EmailNotVerified,
                "verify your email address first: use the link in the verification email, or \
                 the link in the invitation email",
            ),
        };
        Self::new(code, message)
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            Self::Client { code, message } => async_graphql::Error::new(message.clone())
                .extend_with(|_, ext| ext.set("code", code.as_str())),
            Self::RateLimited {
                message,
                retry_after,
            } => async_graphql::Error::new(message.clone()).extend_with(|_, ext| {
                ext.set("code", ErrorCode::RateLimited.as_str());
                ext.set("retryAfter", *retry_after);
            }),
            Self::OverLimit { message, setting } => async_graphql::Error::new(message.clone())
                .extend_with(|_, ext| {
                    ext.set("code", ErrorCode::BadUserInput.as_str());
                    ext.set("limit", *setting);
                }),
            Self::BadToken(problem) => {
                async_graphql::Error::new(problem.message()).extend_with(|_, ext| {
                    ext.set("code", ErrorCode::Unauthenticated.as_str());
                    ext.set("reason", problem.as_str());
                })
            }
            Self::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "internal error");
                async_graphql::Error::new("internal server error")
                    .extend_with(|_, ext| ext.set("code", ErrorCode::InternalServerError.as_str()))
            }
        }
    }
}

/// A wait as `retryAfter` reports it: whole seconds, rounded up, at least 1.
pub fn whole_seconds(wait: std::time::Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// The wait until `ready_at` as `retryAfter` reports it; `None` once it has come (a cooldown
/// that has passed).
pub fn seconds_until(
    ready_at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<u64> {
    (ready_at > now).then(|| whole_seconds((ready_at - now).to_std().unwrap_or_default()))
}

/// Turns the unique-constraint violation a statement is expected to hit into a client error.
pub trait OnConflict<T> {
    fn on_conflict(self, code: ErrorCode, message: &str) -> Result<T, AppError>;
}

impl<T> OnConflict<T> for Result<T, DbErr> {
    fn on_conflict(self, code: ErrorCode, message: &str) -> Result<T, AppError> {
        self.map_err(|err| match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => AppError::new(code, message),
            _ => err.into(),
        })
    }
}
