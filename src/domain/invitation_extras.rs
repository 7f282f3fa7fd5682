//! What an inviter may attach to an invitation for the invitee's app: where to go after
//! accepting ([`RedirectUrl`]) and a small JSON object carried to the membership
//! ([`Metadata`]), and the time zone its emails write dates in ([`time_zone`]).

use serde_json::Value as Json;
use url::Url;

/// Most bytes of an invitation's metadata, as compact JSON.
pub const MAX_METADATA_BYTES: usize = 4096;
/// Deepest nesting of objects and lists in metadata.
pub const MAX_METADATA_DEPTH: usize = 8;
/// Most characters of a redirect URL.
pub const MAX_REDIRECT_URL_CHARS: usize = 2048;

/// An absolute `http(s)` URL on one of the allowed origins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectUrl(String);

impl RedirectUrl {
    /// Checks `raw` against `origins` (lower-case `scheme://host[:port]`, as configured).
    pub fn parse(raw: &str, origins: &[String]) -> Result<Self, String> {
        let url = web_url(
            raw,
            "redirectUrl",
            MAX_REDIRECT_URL_CHARS,
            &["http", "https"],
        )?;
        let origin = url.origin().ascii_serialization();
        if !origins.contains(&origin) {
            return Err(if origins.is_empty() {
                "this server takes no redirectUrl (DOORMAN_REDIRECT_ORIGINS is empty)".to_owned()
            } else {
                format!("redirectUrl's origin {origin} is not one of DOORMAN_REDIRECT_ORIGINS")
            });
        }
        Ok(Self(url.into()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Most characters of a time zone name.
pub const MAX_TIME_ZONE_CHARS: usize = 64;

/// An IANA time zone name (`Europe/Berlin`), as the time zone database spells it.
pub fn time_zone(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.chars().count() > MAX_TIME_ZONE_CHARS {
        return Err(format!(
            "timeZone may be at most {MAX_TIME_ZONE_CHARS} characters"
        ));
    }
    raw.parse::<chrono_tz::Tz>()
        .map(|zone| zone.name().to_owned())
        .map_err(|_| format!("timeZone {raw:?} is not an IANA time zone such as Europe/Berlin"))
}

/// `raw` as an absolute URL of one of `schemes`, with a host, no credentials, and at most
/// `max_chars` characters; else why not, naming `field`.
pub fn web_url(raw: &str, field: &str, max_chars: usize, schemes: &[&str]) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.chars().count() > max_chars {
        return Err(format!("{field} may be at most {max_chars} characters"));
    }
    let url = Url::parse(raw).map_err(|err| format!("{field} is not a URL: {err}"))?;
    if !schemes.contains(&url.scheme()) || url.host_str().is_none() {
        return Err(format!("{field} must be an {} URL", schemes.join(" or ")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{field} may not carry a user name or password"));
    }
    Ok(url)
}

/// A JSON object of at most [`MAX_METADATA_BYTES`], stored as compact text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata(String);

impl Metadata {
    pub fn parse(value: &Json) -> Result<Self, String> {
        if !value.is_object() {
            return Err("metadata must be a JSON object".to_owned());
        }
        let text = value.to_string();
        if text.len() > MAX_METADATA_BYTES {
            return Err(format!(
                "metadata may be at most {MAX_METADATA_BYTES} bytes as JSON, got {}",
                text.len()
            ));
        }
        if depth(value) > MAX_METADATA_DEPTH {
            return Err(format!(
                "metadata may nest objects and lists at most {MAX_METADATA_DEPTH} deep"
            ));
        }
        Ok(Self(text))
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// Stored text back as JSON (`null` if it is not JSON, which nothing writes).
    pub fn stored(text: &str) -> Json {
        serde_json::from_str(text).unwrap_or(Json::Null)
    }
}

/// How deep objects and lists nest in `value` (a scalar is 0), without recursion.
fn depth(value: &Json) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0)];
    while let Some((value, level)) = stack.pop() {
        let children: Vec<&Json> = match value {
            Json::Object(map) => map.values().collect(),
            Json::Array(items) => items.iter().collect(),
            _ => continue,
        };
        deepest = deepest.max(level + 1);
        stack.extend(children.into_iter().map(|child| (child, level + 1)));
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins() -> Vec<String> {
        vec!["https://app.example.com".to_owned()]
    }

    #[test]
    fn a_redirect_on_an_allowed_origin_is_kept_whole() {
        let url = RedirectUrl::parse("https://app.example.com/welcome?team=3", &origins());
        assert_eq!(
            url.map(RedirectUrl::into_string),
            Ok("https://app.example.com/welcome?team=3".to_owned())
        );
    }

    #[test]
    fn redirects_elsewhere_are_refused() {
        for raw in [
            "https://app.example.com.evil.test/",
            "http://app.example.com/",
            "javascript:alert(1)",
            "https://user:pw@app.example.com/",
            "//app.example.com/x",
            "/relative",
        ] {
            assert!(RedirectUrl::parse(raw, &origins()).is_err(), "{raw}");
        }
        assert!(RedirectUrl::parse("https://app.example.com/", &[]).is_err());
    }

    #[test]
    fn metadata_must_be_a_small_object() {
        assert!(Metadata::parse(&serde_json::json!({ "team": "blue" })).is_ok());
        assert!(Metadata::parse(&serde_json::json!([1, 2])).is_err());
        let big = "x".repeat(MAX_METADATA_BYTES);
        assert!(Metadata::parse(&serde_json::json!({ "note": big })).is_err());
        let deep = (0..MAX_METADATA_DEPTH).fold(
            serde_json::json!(1),
            |inner, _| serde_json::json!({ "a": inner }),
        );
        assert!(Metadata::parse(&deep).is_ok());
        assert!(Metadata::parse(&serde_json::json!({ "a": deep })).is_err());
    }
}
