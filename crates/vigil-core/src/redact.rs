//! Redaction of secret values: the only representation of a secret that may
//! leave an engine is a masked preview plus a SHA-256.

use sha2::{Digest, Sha256};

use crate::SecretEvidence;

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The evidence for a secret value: its first four characters (fewer when the
/// secret is shorter than 12 characters, so that at most a third is shown),
/// its length and its SHA-256.
pub fn mask_secret(secret: &str) -> SecretEvidence {
    let length = secret.chars().count();
    let shown = if length >= 12 { 4 } else { length / 3 };
    let prefix: String = secret.chars().take(shown).collect();
    SecretEvidence {
        preview: format!("{prefix}…({length} chars)"),
        length,
        sha256: sha256_hex(secret.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_at_most_four_characters_and_a_third_of_short_secrets() {
        let evidence = mask_secret("AKIAZ5IE4ZYEYRUHWWTV");
        assert_eq!(evidence.preview, "AKIA…(20 chars)");
        assert_eq!(evidence.length, 20);
        assert_eq!(evidence.sha256.len(), 64);
        assert_eq!(mask_secret("hunter2").preview, "hu…(7 chars)");
        assert_eq!(mask_secret("ab").preview, "…(2 chars)");
    }
}
