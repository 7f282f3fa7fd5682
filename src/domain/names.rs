//! Names and texts people give: handles for users and organizations (`alice`, `acme-corp`),
//! display names, and an invitation's personal note. Each is parsed once, at the edge, into
//! its type; the use cases take the type.

use std::fmt;

/// A username or organization name: 1–39 letters, digits, `-` or `_`, starting with a letter
/// or digit; always lower-case.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Handle(String);

impl Handle {
    /// A valid handle made from `raw` (a preferred username, an email's local part): the
    /// allowed characters of it, lower-cased, at most 32 of them; `user` when none is left.
    /// Leaves room for a suffix that makes it unique.
    pub fn suggest(raw: &str) -> Self {
        let kept: String = raw
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .skip_while(|c| !c.is_ascii_alphanumeric())
            .take(32)
            .collect();
        Self(if kept.is_empty() {
            "user".to_owned()
        } else {
            kept
        })
    }

    /// This handle with `-{suffix}`.
    pub fn with_suffix(&self, suffix: u32) -> Self {
        Self(format!("{}-{suffix}", self.0))
    }

    /// Trims, lower-cases and checks `raw`; `what` names it in the refusal.
    pub fn parse(raw: &str, what: &str) -> Result<Self, String> {
        let handle = raw.trim().to_lowercase();
        let valid = (1..=39).contains(&handle.len())
            && handle.starts_with(|c: char| c.is_ascii_alphanumeric())
            && handle
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if valid {
            Ok(Self(handle))
        } else {
            Err(format!(
                "{what} must be 1 to 39 letters, digits, '-' or '_', starting with a letter or \
                 digit"
            ))
        }
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A display name: trimmed, at most 100 printable characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Checks an optional display name; empty means none.
    pub fn parse(raw: Option<&str>) -> Result<Option<Self>, String> {
        let Some(name) = raw.map(str::trim).filter(|name| !name.is_empty()) else {
            return Ok(None);
        };
        if name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err("display name must be at most 100 printable characters".to_owned());
        }
        Ok(Some(Self(name.to_owned())))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Longest personal note on an invitation.
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// An invitation's personal note, trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message(String);

impl Message {
    /// Checks an optional note; empty means none.
    pub fn parse(raw: Option<&str>) -> Result<Option<Self>, String> {
        let Some(message) = raw.map(str::trim).filter(|m| !m.is_empty()) else {
            return Ok(None);
        };
        if message.chars().count() > MAX_MESSAGE_CHARS {
            return Err(format!(
                "message may be at most {MAX_MESSAGE_CHARS} characters"
            ));
        }
        Ok(Some(Self(message.to_owned())))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

macro_rules! text_views {
    ($($name:ident),+) => {
        $(impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        })+
    };
}

text_views!(Handle, DisplayName, Message);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggested_handles_are_valid() {
        for raw in ["Alice.Smith", "--x", "", "émile", &"a".repeat(80), "Ab_c-9"] {
            let handle = Handle::suggest(raw);
            assert!(
                Handle::parse(handle.as_ref(), "name").is_ok(),
                "{raw:?} → {handle:?}"
            );
            assert!(Handle::parse(handle.with_suffix(9999).as_ref(), "name").is_ok());
        }
        assert_eq!(Handle::suggest("Alice.Smith").as_ref(), "alicesmith");
        assert_eq!(Handle::suggest("--").as_ref(), "user");
    }

    #[test]
    fn handles_are_lowercased_and_checked() {
        assert_eq!(
            Handle::parse(" Acme-Corp ", "name").unwrap().as_ref(),
            "acme-corp"
        );
        assert!(Handle::parse("-acme", "name").is_err());
        assert!(Handle::parse("a b", "name").is_err());
        assert!(Handle::parse(&"a".repeat(40), "name").is_err());
    }

    #[test]
    fn blank_display_names_become_none() {
        assert_eq!(DisplayName::parse(Some("  ")).unwrap(), None);
        assert_eq!(
            DisplayName::parse(Some(" Acme "))
                .unwrap()
                .unwrap()
                .as_ref(),
            "Acme"
        );
        assert!(DisplayName::parse(Some(&"x".repeat(101))).is_err());
    }

    #[test]
    fn messages_are_trimmed_and_bounded() {
        assert_eq!(Message::parse(Some(" \n ")).unwrap(), None);
        assert_eq!(
            Message::parse(Some(" Welcome! "))
                .unwrap()
                .unwrap()
                .as_ref(),
            "Welcome!"
        );
        assert!(Message::parse(Some(&"x".repeat(MAX_MESSAGE_CHARS))).is_ok());
        assert!(Message::parse(Some(&"x".repeat(MAX_MESSAGE_CHARS + 1))).is_err());
    }
}
