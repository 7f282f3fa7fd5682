//! GraphQL over HTTP: the parts of the spec that async-graphql's axum handlers leave out. The
//! response media type comes from `Accept`; the status code from the media type and from whether
//! execution started; request bodies are checked for their shape (and refused with 400 and
//! `BAD_USER_INPUT`), and batches are capped (`DOORMAN_MAX_BATCH`).
//!
//! | answer | `application/graphql-response+json` | `application/json` |
//! |---|---|---|
//! | executed (even with errors) | 200 | 200 |
//! | parse / validation error (no `data`) | 400 | 200 |
//! | malformed request (bad JSON, shape, batch) | 400 | 400 |
//! | `PERSISTED_QUERY_NOT_FOUND` | 200 | 200 |

use std::collections::BTreeMap;

use async_graphql::{BatchRequest, BatchResponse, ServerError};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value as Json};

use crate::auth::TokenProblem;
use crate::error::ErrorCode;
use crate::persisted_queries::{self, ApqError};

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
    status: StatusCode,
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

/// CSRF prevention as Apollo Server does it: a POST that a browser could send cross-site
/// without a CORS preflight (no content type, or `text/plain`, a form or multipart) is refused
/// unless it carries a header that forces a preflight.
pub fn check_csrf(headers: &HeaderMap) -> Result<(), Rejection> {
    let forces_preflight = ["apollo-require-preflight", "x-apollo-operation-name"]
        .iter()
        .any(|name| headers.get(*name).is_some_and(|value| !value.is_empty()));
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    let simple = match essence.as_deref() {
        None => true,
        Some(essence) => [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ]
        .contains(&essence),
    };
    if simple && !forces_preflight {
        Err(Rejection::possible_csrf())
    } else {
        Ok(())
    }
}

/// The GraphQL request (or batch) in a POST body: `application/json` in UTF-8, an object or an
/// array of 1 to `max_batch` objects, each with a string `query` (or a persisted query hash),
/// and `operationName`, `variables`, `extensions` of the right types or null.
pub fn read_post(
    headers: &HeaderMap,
    body: &[u8],
    max_batch: usize,
) -> Result<BatchRequest, Rejection> {
    if !is_json_content_type(headers) {
        return Err(Rejection::unsupported_media_type());
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Rejection::bad_request("the request body is empty"));
    }
    let json: Json = serde_json::from_slice(body)
        .map_err(|err| Rejection::bad_request(format!("the body is not valid JSON: {err}")))?;
    match json {
        Json::Object(params) => Ok(BatchRequest::Single(request_from(params)?)),
        Json::Array(items) if items.is_empty() => {
            Err(Rejection::bad_request("the batch holds no operation"))
        }
        Json::Array(items) if items.len() > max_batch => Err(Rejection::bad_request(format!(
            "a batch holds at most {max_batch} operations; this one has {}",
            items.len()
        ))),
        Json::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Json::Object(params) => request_from(params),
                _ => Err(Rejection::bad_request(
                    "every item of a batch must be a GraphQL request object",
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(BatchRequest::Batch),
        _ => Err(Rejection::bad_request(
            "the body must be a GraphQL request object (or an array of them)",
        )),
    }
}

/// `application/json`, with no charset or `charset=utf-8`.
fn is_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.split(';');
    let essence_ok = parts
        .next()
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    essence_ok
        && parts
            .filter_map(|param| param.split_once('='))
            .filter(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))
            .all(|(_, charset)| {
                let charset = charset.trim().trim_matches('"');
                charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("utf8")
            })
}

/// One request object: the parameters checked, then read by async-graphql.
fn request_from(mut params: Map<String, Json>) -> Result<async_graphql::Request, Rejection> {
    let mut expect = |name: &str, ok: fn(&Json) -> bool, what: &str| match params.get(name) {
        Some(Json::Null) => {
            params.remove(name);
            Ok(())
        }
        Some(value) if !ok(value) => Err(Rejection::bad_request(format!(
            "`{name}` must be {what} or null"
        ))),
        _ => Ok(()),
    };
    expect("query", Json::is_string, "a string")?;
    expect("operationName", Json::is_string, "a string")?;
    expect("variables", Json::is_object, "an object")?;
    expect("extensions", Json::is_object, "an object")?;
    let persisted = params
        .get("extensions")
        .and_then(|extensions| extensions.get("persistedQuery"))
        .is_some_and(|persisted| !persisted.is_null());
    if !params.contains_key("query") && !persisted {
        return Err(Rejection::bad_request(
            "the request has no `query` (nor a persisted query hash)",
        ));
    }
    serde_json::from_value(Json::Object(params))
        .map_err(|err| Rejection::bad_request(format!("invalid GraphQL request: {err}")))
}

/// The GraphQL request in a GET query string (`query`, `operationName`, and `variables` and
/// `extensions` as URL-encoded JSON).
pub fn read_get(query_string: &str) -> Result<async_graphql::Request, Rejection> {
    let mut request = async_graphql::http::parse_query_string(query_string)
        .map_err(|err| Rejection::bad_request(format!("invalid GraphQL request: {err}")))?;
    // async-graphql 7.2 reads `operation_name`; clients send `operationName`.
    if request.operation_name.is_none() {
        request.operation_name = url_param(query_string, "operationName");
    }
    let persisted = request
        .extensions
        .get("persistedQuery")
        .is_some_and(|persisted| !matches!(persisted, async_graphql::Value::Null));
    if request.query.is_empty() && !persisted {
        return Err(Rejection::bad_request(
            "the request has no `query` (nor a persisted query hash)",
        ));
    }
    Ok(request)
}

/// The decoded value of one `application/x-www-form-urlencoded` parameter.
fn url_param(query_string: &str, name: &str) -> Option<String> {
    query_string
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .and_then(|(_, value)| percent_decode(value))
        .filter(|value| !value.is_empty())
}

fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => decoded.push(b' '),
            b'%' => {
                let hex = value.get(index + 1..index + 3)?;
                decoded.push(u8::from_str_radix(hex, 16).ok()?);
                index += 2;
            }
            byte => decoded.push(byte),
        }
        index += 1;
    }
    String::from_utf8(decoded).ok()
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
        BatchResponse::Single(response) => has_code(response, persisted_queries::NOT_FOUND_CODE),
        BatchResponse::Batch(responses) => responses
            .iter()
            .any(|response| has_code(response, persisted_queries::NOT_FOUND_CODE)),
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
        || has_code(response, persisted_queries::NOT_FOUND_CODE)
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

    const MAX_BATCH: usize = 10;

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

    #[test]
    fn post_bodies_are_checked_for_their_shape() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=UTF-8"),
        );
        let read =
            |body: &str| read_post(&headers, body.as_bytes(), MAX_BATCH).map_err(|r| r.status);

        assert!(matches!(
            read(r#"{"query":"{ a }","variables":null,"operationName":null,"extensions":null}"#),
            Ok(BatchRequest::Single(_))
        ));
        assert!(matches!(
            read(r#"[{"query":"{ a }"}]"#),
            Ok(BatchRequest::Batch(_))
        ));
        for bad in [
            "",
            "{ \"not a JSON",
            "[]",
            "0",
            r#"{"notquery":"{ a }"}"#,
            r#"{"query":{"obj":"ect"}}"#,
            r#"{"query":"{ a }","variables":"string"}"#,
            r#"{"query":"{ a }","operationName":0}"#,
            r#"{"query":"{ a }","extensions":["array"]}"#,
            r#"[1]"#,
        ] {
            assert_eq!(read(bad).err(), Some(StatusCode::BAD_REQUEST), "{bad}");
        }
        let batch = format!("[{}]", [r#"{"query":"{ a }"}"#; MAX_BATCH + 1].join(","));
        assert_eq!(read(&batch).err(), Some(StatusCode::BAD_REQUEST));

        let mut text = HeaderMap::new();
        text.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert_eq!(
            read_post(&text, br#"{"query":"{ a }"}"#, MAX_BATCH)
                .err()
                .map(|r| r.status),
            Some(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        );
        assert_eq!(
            read_post(&HeaderMap::new(), br#"{"query":"{ a }"}"#, MAX_BATCH)
                .err()
                .map(|r| r.status),
            Some(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        );
    }

    #[test]
    fn get_reads_operation_name_and_persisted_queries() {
        let request = read_get("query=query%20A%20%7B%20a%20%7D&operationName=A").unwrap();
        assert_eq!(request.operation_name.as_deref(), Some("A"));
        assert!(read_get(
            "extensions=%7B%22persistedQuery%22%3A%7B%22version%22%3A1%2C%22sha256Hash%22%3A%22ab%22%7D%7D"
        )
        .is_ok());
        assert!(read_get("").is_err());
    }
}
