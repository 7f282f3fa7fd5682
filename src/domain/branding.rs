//! An organization's branding of its emails: a logo ([`logo_url`]), an accent colour
//! ([`accent_color`]) and a footer line ([`email_footer`]). Each value ends up in an HTML
//! email, so each is held to a shape that cannot break out of where it is written: the logo
//! is an `https` URL, the colour is `#rrggbb`, the footer is one line of plain text.

use super::invitation_extras::web_url;

/// Most characters of a logo URL.
pub const MAX_LOGO_URL_CHARS: usize = 2048;
/// Most characters of an email footer.
pub const MAX_FOOTER_CHARS: usize = 200;

/// An absolute `https` URL with a host and no credentials.
pub fn logo_url(raw: &str) -> Result<String, String> {
    web_url(raw, "logoUrl", MAX_LOGO_URL_CHARS, &["https"]).map(String::from)
}

/// `#rrggbb` (or `#rgb`), lower-cased and spelled out.
pub fn accent_color(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let digits = raw.strip_prefix('#').unwrap_or_default();
    if !digits.chars().all(|c| c.is_ascii_hexdigit()) || !matches!(digits.len(), 3 | 6) {
        return Err(format!(
            "accentColor must be a hex colour such as #1f883d, got {raw:?}"
        ));
    }
    let digits = digits.to_ascii_lowercase();
    Ok(if digits.len() == 3 {
        digits
            .chars()
            .flat_map(|c| [c, c])
            .fold("#".to_owned(), |mut color, c| {
                color.push(c);
                color
            })
    } else {
        format!("#{digits}")
    })
}

/// One line of plain text, 1 to [`MAX_FOOTER_CHARS`] characters.
pub fn email_footer(raw: &str) -> Result<String, String> {
    let footer = raw.trim();
    if footer.is_empty() || footer.chars().count() > MAX_FOOTER_CHARS {
        return Err(format!(
            "emailFooter must be 1 to {MAX_FOOTER_CHARS} characters"
        ));
    }
    if footer
        .chars()
        .any(|c| c.is_control() || is_invisible_format(c))
    {
        return Err(
            "emailFooter must be one line without control or text-direction characters".to_owned(),
        );
    }
    Ok(footer.to_owned())
}

/// Characters that change how text around them reads without showing themselves: bidirectional
/// embeddings, overrides and isolates, zero-width characters, and line and paragraph separators.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logo_is_an_https_url_without_credentials() {
        assert_eq!(
            logo_url(" https://cdn.example/logo.png ").unwrap(),
            "https://cdn.example/logo.png"
        );
        for refused in [
            "http://cdn.example/logo.png",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "https://user:pw@cdn.example/logo.png",
            "logo.png",
        ] {
            assert!(logo_url(refused).is_err(), "{refused}");
        }
        assert!(logo_url(&format!("https://cdn.example/{}", "a".repeat(2048))).is_err());
    }

    #[test]
    fn an_accent_is_a_hex_colour_and_nothing_that_could_leave_a_style() {
        assert_eq!(accent_color("#1F883D").unwrap(), "#1f883d");
        assert_eq!(accent_color("#abc").unwrap(), "#aabbcc");
        for refused in [
            "red",
            "1f883d",
            "#1f883d; background: url(x)",
            "#12345",
            "#ggg",
        ] {
            assert!(accent_color(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn a_footer_is_one_short_line() {
        assert_eq!(email_footer("  Acme Inc.  ").unwrap(), "Acme Inc.");
        assert!(email_footer("").is_err());
        assert!(email_footer("two\nlines").is_err());
        assert!(email_footer("Acme \u{202E}moc.elpmaxe").is_err());
        assert!(email_footer("one\u{2028}two").is_err());
        assert!(email_footer(&"x".repeat(201)).is_err());
    }
}
