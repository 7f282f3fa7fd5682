//! `InviteToken`: the secret in an invitation link, and in the same format the secret in an
//! email-verification link (`VerificationToken`). Only their SHA-256 digests are ever stored.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

/// 32 bytes from the OS random source, base64url without padding (43 characters).
#[derive(Clone, PartialEq, Eq)]
pub struct InviteToken(String);

impl InviteToken {
    pub fn generate() -> Self {
        let mut bytes = [0_u8; 32];
        OsRng
            .try_fill_bytes(&mut bytes)
            .expect("the OS random source is available");
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts only strings that could have come from [`InviteToken::generate`]; anything else
    /// cannot match a stored digest.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let decoded = URL_SAFE_NO_PAD.decode(raw).ok()?;
        (raw.len() == 43 && decoded.len() == 32).then(|| Self(raw.to_owned()))
    }

    /// Hex SHA-256 of the token: what the database stores and looks up.
    pub fn digest(&self) -> String {
        Sha256::digest(self.0.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// The raw token: put it only in the link returned to the caller or in the email.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The secret in an email-verification link: the same format as an invitation token.
pub type VerificationToken = InviteToken;

impl fmt::Debug for InviteToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InviteToken([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_are_43_characters_and_parse_back() {
        let token = InviteToken::generate();
        assert_eq!(token.expose().len(), 43);
        assert_eq!(InviteToken::parse(token.expose()), Some(token.clone()));
        assert_ne!(token, InviteToken::generate());
    }

    #[test]
    fn digest_is_hex_sha256_and_debug_is_redacted() {
        let token = InviteToken::generate();
        assert_eq!(token.digest().len(), 64);
        assert!(!format!("{token:?}").contains(token.expose()));
    }

    #[test]
    fn parse_rejects_other_strings() {
        assert_eq!(InviteToken::parse("short"), None);
        assert_eq!(InviteToken::parse(&"*".repeat(43)), None);
    }
}
