//! The global allowlist: values that look like secrets in shape but are
//! documented dummies, placeholders, template variables or masks, whatever
//! rule matched them; and the inline ignore markers.

/// Values published in provider documentation as examples. Never live.
const KNOWN_DUMMIES: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "AKIAI44QH8DHBEXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "pk_test_TYooMQauvdEDq54NiTphI7jx",
];

/// Markers that suppress a finding on their line: Vigil's own, and those of
/// gitleaks and detect-secrets so that migrating teams keep their ignores.
pub(crate) const INLINE_IGNORE_MARKERS: &[&[u8]] =
    &[b"vigil:ignore", b"gitleaks:allow", b"pragma: allowlist secret"];

/// Whether `secret` is a placeholder rather than a credential: a documented
/// dummy, a template or environment reference, or a mask.
pub(crate) fn is_placeholder(secret: &[u8]) -> bool {
    if KNOWN_DUMMIES.iter().any(|dummy| dummy.as_bytes() == secret) {
        return true;
    }
    let Some(&first) = secret.first() else { return true };
    // One character repeated (`********`, `xxxxxxxx`, `00000000`).
    if secret.iter().all(|&byte| byte == first) {
        return true;
    }
    // Template and variable references: ${VAR}, {{ var }}, <your-key>, %(var)s, $VAR.
    let starts = |prefix: &[u8]| secret.starts_with(prefix);
    if starts(b"${") || starts(b"{{") || starts(b"<") || starts(b"%(") || starts(b"#{") {
        return true;
    }
    if first == b'$'
        && secret[1..]
            .iter()
            .all(|&byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'_')
    {
        return true;
    }
    // Elided in documentation: `sk-ant-api03-...`, `AKIA…`.
    if memchr::memmem::find(secret, b"...").is_some()
        || memchr::memmem::find(secret, "…".as_bytes()).is_some()
    {
        return true;
    }
    // Mostly masking characters: `ab******`, `sk_live_xxxxxxxxxxxxxxxx`.
    let masked = secret
        .iter()
        .filter(|&&byte| byte == b'*' || byte == b'x' || byte == b'X' || byte == b'.')
        .count();
    masked * 2 > secret.len()
        && secret.len() >= 6
        && (secret.contains(&b'*')
            || repeated_run(secret, b'x') >= 6
            || repeated_run(secret, b'X') >= 6)
}

fn repeated_run(bytes: &[u8], target: u8) -> usize {
    let mut longest = 0;
    let mut current = 0;
    for &byte in bytes {
        current = if byte == target { current + 1 } else { 0 };
        longest = longest.max(current);
    }
    longest
}

/// Whether `line` carries an inline ignore marker.
pub(crate) fn has_ignore_marker(line: &[u8]) -> bool {
    INLINE_IGNORE_MARKERS.iter().any(|marker| memchr::memmem::find(line, marker).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_recognised_and_keys_are_not() {
        for placeholder in [
            "AKIAIOSFODNN7EXAMPLE",
            "********",
            "${GITLAB_TOKEN}",
            "{{ token }}",
            "<your-password-here>",
            "$DB_PASS",
            "sk_live_xxxxxxxxxxxxxxxxxxxx",
            "ab********",
            "sk-ant-api03-...",
        ] {
            assert!(is_placeholder(placeholder.as_bytes()), "{placeholder}");
        }
        for key in
            ["AKIAZ5IE4ZYEYRUHWWTV", "LRDFvVji!AbVC38U", "$2b$10$abcdefghijk", "xoxb-099222128188"]
        {
            assert!(!is_placeholder(key.as_bytes()), "{key}");
        }
    }

    #[test]
    fn peers_markers_are_honoured() {
        assert!(has_ignore_marker(b"key = 'abc' # gitleaks:allow"));
        assert!(has_ignore_marker(b"key = 'abc'  # pragma: allowlist secret"));
        assert!(has_ignore_marker(b"key = 'abc'  // vigil:ignore"));
        assert!(!has_ignore_marker(b"key = 'abc'  // ignore"));
    }
}
