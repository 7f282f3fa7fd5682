//! GraphQL over HTTP, the request: a POST body is checked for its type and shape (and refused
//! with 400 and `BAD_USER_INPUT`), batches are capped (`DOORMAN_MAX_BATCH`), a GET is read
//! from its query string, and a POST a browser could send cross-site without a preflight is
//! refused.

use async_graphql::BatchRequest;
use axum::http::header::{self, HeaderMap};
use serde_json::{Map, Value as Json};

use super::response::Rejection;

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

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use axum::http::header::HeaderValue;

    use super::*;

    const MAX_BATCH: usize = 10;

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
