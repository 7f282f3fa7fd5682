//! Handles for users and organizations: `alice`, `acme-corp`.

/// Checks a username or organization name: 1–39 letters, digits, `-` or `_`, starting with a
/// letter or digit. Returns it lower-cased.
pub fn parse_handle(raw: &str, what: &str) -> Result<String, String> {
    let handle = raw.trim().to_lowercase();
    let valid = (1..=39).contains(&handle.len())
        && handle.starts_with(|c: char| c.is_ascii_alphanumeric())
        && handle
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(handle)
    } else {
        Err(format!(
            "{what} must be 1 to 39 letters, digits, '-' or '_', starting with a letter or digit"
        ))
    }
}

/// Checks an optional display name: trimmed, at most 100 characters; empty means none.
pub fn parse_display_name(raw: Option<&str>) -> Result<Option<String>, String> {
    let Some(name) = raw.map(str::trim).filter(|name| !name.is_empty()) else {
        return Ok(None);
    };
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err("display name must be at most 100 printable characters".to_owned());
    }
    Ok(Some(name.to_owned()))
}

/// Longest personal note on an invitation.
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// An invitation's personal note, trimmed; `None` when empty.
pub fn parse_message(message: Option<String>) -> Result<Option<String>, String> {
    let Some(message) = message
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
    else {
        return Ok(None);
    };
    if message.chars().count() > MAX_MESSAGE_CHARS {
        return Err(format!(
            "message may be at most {MAX_MESSAGE_CHARS} characters"
        ));
    }
    Ok(Some(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_lowercased_and_checked() {
        assert_eq!(parse_handle(" Acme-Corp ", "name").unwrap(), "acme-corp");
        assert!(parse_handle("-acme", "name").is_err());
        assert!(parse_handle("a b", "name").is_err());
        assert!(parse_handle(&"a".repeat(40), "name").is_err());
    }

    #[test]
    fn blank_display_names_become_none() {
        assert_eq!(parse_display_name(Some("  ")).unwrap(), None);
        assert_eq!(
            parse_display_name(Some(" Acme ")).unwrap().as_deref(),
            Some("Acme")
        );
        assert!(parse_display_name(Some(&"x".repeat(101))).is_err());
    }
}
