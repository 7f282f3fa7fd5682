//! GraphQL over HTTP, the answer: the media type comes from `Accept`, the status code from the
//! media type and from whether execution started; a request refused before the schema sees it
//! is a [`Rejection`] with its status and one coded error.
//!
//! | answer | `application/graphql-response+json` | `application/json` |
//! |---|---|---|
//! | executed (even with errors) | 200 | 200 |
//! | parse / validation error (no `data`) | 400 | 200 |
//! | malformed request (bad JSON, shape, batch) | 400 | 400 |
//! | `PERSISTED_QUERY_NOT_FOUND` | 200 | 200 |
//! | an access token that is expired or invalid | 401 | 401 |
//! | still running at the request timeout | 408 | 408 |

use std::collections::BTreeMap;

use async_graphql::{BatchResponse, ServerError};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::persisted_queries::ApqError;
use crate::auth::TokenProblem;
use crate::error::ErrorCode;

/// What a GraphQL answer is sent as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    /// `application/graphql-response+json`: status codes tell request errors apart.
    GraphQLResponse,
    /// `application/json`: the legacy type, 200 for anything GraphQL answered.
    Json,
}

impl MediaType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GraphQLResponse => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }

    /// The type to answer in, from the `Accept` header: the acceptable type with the highest
    /// `q`; on a tie one named explicitly beats one reached through a wildcard, and
    /// `application/graphql-response+json` beats `application/json`. No `Accept`, or only
    /// wildcards, means `application/json` (the spec's advice while clients move over).
    /// `None` when the header accepts neither: the caller answers 406.
    pub fn negotiate(headers: &HeaderMap) -> Option<Self> {
        let ranges: Vec<&str> = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .filter(|range| !range.is_empty())
            .collect();
        if ranges.is_empty() {
            return Some(Self::Json);
        }
        // (q in thousandths, specificity, tie-breaking preference)
        let rank = |media: Self| -> Option<(u16, u8, u8)> {
            let (kind, subtype) = match media {
                Self::GraphQLResponse => ("application", "graphql-response+json"),
                Self::Json => ("application", "json"),
            };
            ranges
                .iter()
                .filter_map(|range| {
                    let mut parts = range.split(';');
                    let essence = parts.next()?.trim().to_ascii_lowercase();
                    let (range_kind, range_subtype) = essence.split_once('/')?;
                    let specificity = match (range_kind, range_subtype) {
                        (k, s) if k == kind && s == subtype => 2,
                        (k, "*") if k == kind => 1,
                        ("*", "*") => 0,
                        _ => return None,
                    };
                    Some((quality(parts), specificity))
                })
                .max_by_key(|&(_, specificity)| specificity)
                .filter(|&(q, _)| q > 0)
                .map(|(q, specificity)| {
                    // Named: the newer type wins a tie; through a wildcard: application/json.
                    let preference =
                        u8::from((media == Self::GraphQLResponse) == (specificity == 2));
                    (q, specificity, preference)
                })
        };
        [Self::GraphQLResponse, Self::Json]
            .into_iter()
            .filter_map(|media| rank(media).map(|rank| (rank, media)))
            .max_by_key(|&(rank, _)| rank)
            .map(|(_, media)| media)
    }
}

/// The `q` parameter of a media range, in thousandths (1000 when absent or unreadable).
fn quality<'a>(params: impl Iterator<Item = &'a str>) -> u16 {
    params
        .filter_map(|param| param.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
        .and_then(|(_, value)| value.trim().parse::<f32>().ok())
        .map_or(1000, |q| (q.clamp(0.0, 1.0) * 1000.0).round() as u16)
}

/// A request refused before the schema sees it: a status and one GraphQL error with a code.
#[derive(Debug)]
pub struct Rejection {
    pub(super) status: StatusCode,
    code: &'static str,
    message: String,
    /// `extensions` besides the code: `limit`, `reason`.
    extension: Option<(&'static str, &'static str)>,
    /// A header to answer with, by its (lower-case) name.
    header: Option<(&'static str, &'static str)>,
}

impl Rejection {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code: ErrorCode::BadUserInput.as_str(),
            message: message.into(),
            extension: None,
            header: None,
        }
    }

    /// 401 with `WWW-Authenticate`: the access token sent is expired or invalid
    /// (`UNAUTHENTICATED`, `extensions.reason`).
    pub fn bad_token(problem: TokenProblem) -> Self {
        Self {
            code: ErrorCode::Unauthenticated.as_str(),
            extension: Some(("reason", problem.as_str())),
            header: Some((
                "www-authenticate",
                match problem {
                    TokenProblem::Expired => {
                        r#"Bearer error="invalid_token", error_description="the access token has expired""#
                    }
                    TokenProblem::Invalid => {
                        r#"Bearer error="invalid_token", error_description="the access token is not valid""#
                    }
                    TokenProblem::EmailTaken => {
                        r#"Bearer error="invalid_token", error_description="the identity is not linked to an account""#
                    }
                },
            )),
            ..Self::new(StatusCode::UNAUTHORIZED, problem.message())
        }
    }

    /// 500: what the request needed first failed (the database is down); logged by the caller.
    pub fn internal() -> Self {
        Self {
            code: ErrorCode::InternalServerError.as_str(),
            ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
        }
    }

    /// 408: the request was still running when its time was up; what it changed is rolled
    /// back.
    pub fn timeout(limit: std::time::Duration) -> Self {
        Self {
            code: ErrorCode::RequestTimeout.as_str(),
            extension: Some(("limit", "DOORMAN_REQUEST_TIMEOUT_SECONDS")),
            ..Self::new(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request took longer than {} seconds and was stopped; nothing it did was kept",
                    limit.as_secs()
                ),
            )
        }
    }

    /// 400: the body or query string is not a GraphQL-over-HTTP request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 406: `Accept` names neither JSON type.
    pub fn not_acceptable() -> Self {
        Self::new(
            StatusCode::NOT_ACCEPTABLE,
            "accept application/graphql-response+json or application/json",
        )
    }

    /// 415: a POST body that is not `application/json` (UTF-8).
    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as content-type: application/json",
        )
    }

    /// 413: the body is larger than the server reads.
    pub fn too_large(limit_bytes: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than {limit_bytes} bytes"),
        )
    }

    /// 400: a request a browser could send cross-site without a preflight.
    pub fn possible_csrf() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "this request has been blocked as a potential cross-site request forgery: send it \
             with content-type: application/json, or with a non-empty apollo-require-preflight \
             or x-apollo-operation-name header",
        )
    }

    /// 405 with `Allow: POST`: a mutation sent by GET.
    pub fn mutation_over_get() -> Self {
        Self {
            header: Some(("allow", "POST")),
            ..Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "mutations must be sent with POST",
            )
        }
    }

    /// The error as it appears in a GraphQL response (an item of a batch).
    pub fn into_server_error(self) -> ServerError {
        let mut error = server_error(self.message, self.code);
        if let Some((name, value)) = self.extension {
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set(name, value);
        }
        error
    }

    /// The HTTP answer, with the error in `media` (JSON when `Accept` was unacceptable).
    pub fn into_response(self, media: MediaType) -> Response {
        let status = self.status;
        let extra = self.header;
        let error = self.into_server_error();
        let body = Body {
            data: None,
            extensions: &BTreeMap::new(),
            errors: std::slice::from_ref(&error),
        };
        let mut response = json_response(status, media, serialize(&body));
        if let Some((name, value)) = extra {
            response.headers_mut().insert(
                header::HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        response
    }
}

impl From<ApqError> for Rejection {
    fn from(error: ApqError) -> Self {
        Self {
            code: error.code(),
            ..Self::bad_request(error.message())
        }
    }
}

fn server_error(message: impl Into<String>, code: &'static str) -> ServerError {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    error
}

/// A request's `persistedQuery` that failed, as the GraphQL response it answers with:
/// `PERSISTED_QUERY_NOT_FOUND` is an ordinary answer (200), the others are malformed requests.
pub fn persisted_query_error(error: ApqError) -> Result<async_graphql::Response, Rejection> {
    match error {
        ApqError::NotFound => Ok(async_graphql::Response::from_errors(vec![server_error(
            error.message(),
            error.code(),
        )])),
        other => Err(other.into()),
    }
}

/// Whether execution started: the answer has data, or an error from a field. Otherwise it is a
/// request error (parse, validation, variables, persisted query) and carries no `data` entry.
pub fn executed(response: &async_graphql::Response) -> bool {
    !matches!(response.data, async_graphql::Value::Null)
        || response.errors.iter().any(|error| !error.path.is_empty())
}

fn has_code(response: &async_graphql::Response, code: &str) -> bool {
    response.errors.iter().any(|error| {
        error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .is_some_and(|value| matches!(value, async_graphql::Value::String(c) if c == code))
    })
}

/// The HTTP answer for what the schema returned (see the table in the module docs).
pub fn respond(media: MediaType, answer: BatchResponse) -> Response {
    let (status, body) = match &answer {
        BatchResponse::Single(response) => {
            (status_of(media, response), serialize(&Body::of(response)))
        }
        BatchResponse::Batch(responses) => (
            StatusCode::OK,
            serialize(&responses.iter().map(Body::of).collect::<Vec<_>>()),
        ),
    };
    let mut http = json_response(status, media, body);
    let headers = http.headers_mut();
    let not_found = match &answer {
        BatchResponse::Single(response) => {
            has_code(response, ErrorCode::PersistedQueryNotFound.as_str())
        }
        BatchResponse::Batch(responses) => responses
            .iter()
            .any(|response| has_code(response, ErrorCode::PersistedQueryNotFound.as_str())),
    };
    if not_found {
        // A miss must not be cached: the client is about to register the query.
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache, must-revalidate"),
        );
    } else if answer.is_ok()
        && let Some(value) = answer
            .cache_control()
            .value()
            .and_then(|value| HeaderValue::from_str(&value).ok())
    {
        headers.insert(header::CACHE_CONTROL, value);
    }
    headers.extend(answer.http_headers());
    http
}

fn status_of(media: MediaType, response: &async_graphql::Response) -> StatusCode {
    // A persisted-query miss is an ordinary answer: the client now sends the query.
    if executed(response)
        || response.errors.is_empty()
        || has_code(response, ErrorCode::PersistedQueryNotFound.as_str())
    {
        StatusCode::OK
    } else if has_code(response, ErrorCode::InternalServerError.as_str()) {
        StatusCode::INTERNAL_SERVER_ERROR
    } else if media == MediaType::GraphQLResponse {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

/// A response as it goes on the wire: its fields in the order the operation asked for them
/// (a JSON object of our own would sort them), and the response's own keys in the order
/// async-graphql writes them over WebSocket (`data`, `extensions`, `errors`); no `data` when
/// execution did not start.
#[derive(serde::Serialize)]
struct Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a async_graphql::Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extensions: &'a BTreeMap<String, async_graphql::Value>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [ServerError],
}

impl<'a> Body<'a> {
    fn of(response: &'a async_graphql::Response) -> Self {
        let request_error = !executed(response) && !response.errors.is_empty();
        Self {
            data: (!request_error).then_some(&response.data),
            extensions: &response.extensions,
            errors: &response.errors,
        }
    }
}

fn serialize(body: &impl serde::Serialize) -> String {
    serde_json::to_string(body).unwrap_or_else(|err| {
        tracing::error!(error = %err, "cannot serialize a GraphQL response");
        serde_json::json!({ "errors": [server_error("internal server error", ErrorCode::InternalServerError.as_str())] })
            .to_string()
    })
}

fn json_response(status: StatusCode, media: MediaType, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media.as_str()),
    );
    headers.insert(header::VARY, HeaderValue::from_static("accept"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Option<MediaType> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        MediaType::negotiate(&headers)
    }

    #[test]
    fn accept_picks_the_best_json_type() {
        assert_eq!(
            MediaType::negotiate(&HeaderMap::new()),
            Some(MediaType::Json)
        );
        assert_eq!(accept("*/*"), Some(MediaType::Json));
        assert_eq!(accept("application/*"), Some(MediaType::Json));
        assert_eq!(accept("application/json"), Some(MediaType::Json));
        assert_eq!(
            accept("application/graphql-response+json"),
            Some(MediaType::GraphQLResponse)
        );
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            Some(MediaType::GraphQLResponse)
        );
        assert_eq!(
            accept("application/graphql-response+json;q=0.5, application/json"),
            Some(MediaType::Json)
        );
        assert_eq!(
            accept("application/graphql-response+json, */*;q=0.5"),
            Some(MediaType::GraphQLResponse)
        );
        assert_eq!(
            accept("text/html,application/xhtml+xml,*/*;q=0.8"),
            Some(MediaType::Json)
        );
        assert_eq!(accept("text/plain"), None);
        assert_eq!(accept("application/json;q=0"), None);
    }
}
