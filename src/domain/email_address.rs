//! `EmailAddress`: a trimmed, lower-cased, plausibly deliverable address.

use std::fmt;

/// An email address that passed [`EmailAddress::parse`]. Always lower-case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Trims, lower-cases and checks the shape `local@domain.tld`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim().to_lowercase();
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err(format!("{:?} is not an email address", raw.trim()));
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| {
                c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c) || !c.is_ascii()
            });
        if !local_ok || email.len() > 254 || parse_domain(domain).is_none() {
            return Err(format!("{:?} is not an email address", raw.trim()));
        }
        Ok(Self(email))
    }

    /// The part after `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }

    /// A hint that shows the first character and the domain: `a***@example.com`.
    pub fn masked(&self) -> String {
        let first = self.0.chars().next().unwrap_or('*');
        format!("{first}***@{}", self.domain())
    }
}

/// Checks and lower-cases a domain name such as `example.com` (at least two labels).
pub fn parse_domain(raw: &str) -> Option<String> {
    let domain = raw.trim().trim_start_matches('@').to_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    let valid = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii())
        });
    valid.then_some(domain)
}

/// Most domains one link may allow.
pub const MAX_ALLOWED_DOMAINS: usize = 50;

/// A link's allowed email domains, each parsed, duplicates dropped; empty means any.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmailDomains(Vec<String>);

impl EmailDomains {
    /// Checks at most [`MAX_ALLOWED_DOMAINS`] domain names.
    pub fn parse(raw: &[String]) -> Result<Self, String> {
        if raw.len() > MAX_ALLOWED_DOMAINS {
            return Err(format!(
                "allowedEmailDomains may list at most {MAX_ALLOWED_DOMAINS} domains; got {}",
                raw.len()
            ));
        }
        let mut domains = Vec::new();
        for domain in raw {
            let parsed =
                parse_domain(domain).ok_or_else(|| format!("{domain:?} is not a domain name"))?;
            if !domains.contains(&parsed) {
                domains.push(parsed);
            }
        }
        Ok(Self(domains))
    }

    /// Domains as stored (comma-separated, already checked when they were stored).
    pub fn stored(stored: &str) -> Self {
        Self(
            stored
                .split(',')
                .filter(|domain| !domain.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    pub fn into_vec(self) -> Vec<String> {
        self.0
    }
}

/// An entry of a list of emails that is not an email address: its text, trimmed, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotAnEmail {
    pub text: String,
    pub reason: String,
}

/// One entry of a list of emails, as the caller sent it and as it parsed.
#[derive(Clone, Debug)]
pub struct Listed {
    pub input: String,
    pub parsed: Result<EmailAddress, NotAnEmail>,
}

impl Listed {
    pub fn parse(raw: &str) -> Self {
        Self {
            input: raw.to_owned(),
            parsed: EmailAddress::parse_listed(raw),
        }
    }
}

impl EmailAddress {
    /// [`EmailAddress::parse`] for one entry of a list, where a bad entry is an outcome of
    /// its own rather than a refusal of the whole list.
    pub fn parse_listed(raw: &str) -> Result<Self, NotAnEmail> {
        Self::parse(raw).map_err(|reason| NotAnEmail {
            text: raw.trim().to_owned(),
            reason,
        })
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_trims_and_lowercases() {
        let email = EmailAddress::parse("  Alice@Example.COM ").unwrap();
        assert_eq!(email.as_ref(), "alice@example.com");
        assert_eq!(email.domain(), "example.com");
    }

    #[test]
    fn parse_rejects_malformed_addresses() {
        for raw in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "alice@localhost",
            "a b@example.com",
            "a..b@x.io",
            "alice@-x.io",
        ] {
            assert!(
                EmailAddress::parse(raw).is_err(),
                "{raw:?} should be rejected"
            );
        }
    }

    #[test]
    fn masked_keeps_first_character_and_domain() {
        let email = EmailAddress::parse("alice@example.com").unwrap();
        assert_eq!(email.masked(), "a***@example.com");
    }

    #[test]
    fn parse_domain_accepts_a_leading_at_sign() {
        assert_eq!(parse_domain("@Example.org").as_deref(), Some("example.org"));
        assert_eq!(parse_domain("example"), None);
    }
}
