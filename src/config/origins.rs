//! Origins in settings: `scheme://host[:port]`, as browsers send them.

use axum::http::HeaderValue;

/// An origin as browsers send it: `scheme://host[:port]`, nothing else.
pub fn parse_origin(origin: &str) -> Result<HeaderValue, String> {
    let origin = origin.trim().trim_end_matches('/');
    let (scheme, host) = origin
        .split_once("://")
        .ok_or_else(|| format!("{origin:?} is not an origin like https://app.example.com"))?;
    if !matches!(scheme, "http" | "https") || host.is_empty() || host.contains('/') {
        return Err(format!(
            "{origin:?} is not an origin like https://app.example.com"
        ));
    }
    HeaderValue::from_str(origin).map_err(|err| format!("{origin:?}: {err}"))
}

/// [`parse_origin`] as text, for settings compared with URLs rather than sent as headers.
pub fn parse_origin_text(origin: &str) -> Result<String, String> {
    parse_origin(origin).map(|_| origin.trim().trim_end_matches('/').to_ascii_lowercase())
}
