//! Secrets at rest: OAuth client secrets, access and refresh tokens and
//! webhook tokens are AES-256-GCM ciphertexts under the master key.
//!
//! A ciphertext is `v1:<key id>:<base64(nonce ‖ sealed)>`; the key id (the
//! first 8 hex digits of SHA-256 of the key) lets a keyring hold the old and
//! the new key while a rotation re-encrypts every row. The column name is
//! the associated data, so a ciphertext copied into another column does not
//! decrypt. Keys come from `VIGIL_MASTER_KEY` (the binary reads it) or from
//! a key file created with mode 0600 in the data directory.
//!
//! **Architecture invariant:** plaintext secrets never reach an error
//! message or a `Debug` output: [`SecretString`] redacts itself.

use std::fmt;
use std::io::Write as _;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

/// A secret value in memory; `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> SecretString {
        SecretString(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A key problem. Messages name the file or the variable, never the key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The key text is not 32 bytes of base64.
    #[error(
        "{source_name}: the master key must be 32 bytes encoded as base64 (44 characters); generate one with `openssl rand -base64 32`"
    )]
    BadKey {
        /// `VIGIL_MASTER_KEY` or the key file's path.
        source_name: String,
    },
    /// The key file cannot be read or created.
    #[error("{path}: {source}")]
    KeyFile {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The key file can be read by others than its owner.
    #[error("{path}: the master key file must be readable by its owner only (chmod 600 {path})")]
    KeyFileMode {
        /// The file.
        path: String,
    },
    /// The ciphertext was made with a key this keyring does not hold.
    #[error(
        "a secret in `{column}` was encrypted with key {key_id}, which is not loaded (was the master key replaced without `vigil key rotate`?)"
    )]
    UnknownKey {
        /// Where the ciphertext was.
        column: String,
        /// Its key id.
        key_id: String,
    },
    /// The ciphertext is damaged or belongs to another column.
    #[error(
        "a secret in `{column}` cannot be decrypted: the ciphertext is damaged or was moved from another column"
    )]
    Corrupt {
        /// Where the ciphertext was.
        column: String,
    },
}

/// One AES-256 key, its id, and the seed of the secrets derived from it.
struct Key {
    id: String,
    cipher: Aes256Gcm,
    /// SHA-256 of a label and the key: never the key itself.
    derivation_seed: [u8; 32],
}

/// The master keys: the first encrypts, all decrypt.
pub struct Keyring {
    keys: Vec<Key>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|key| key.id.as_str()).collect();
        f.debug_struct("Keyring").field("key_ids", &ids).finish()
    }
}

/// Name of the key file in the data directory.
pub const KEY_FILE: &str = "master.key";
/// Name of the next key while a rotation is under way.
pub const NEXT_KEY_FILE: &str = "master.key.next";

impl Keyring {
    /// A keyring of one key given as base64 text; `source_name` says where
    /// it came from, for errors.
    pub fn from_base64(text: &str, source_name: &str) -> Result<Keyring, CryptoError> {
        Ok(Keyring { keys: vec![parse_key(text, source_name)?] })
    }

    /// A fresh random key, as base64 text.
    pub fn generate_key() -> String {
        let mut bytes = [0_u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        BASE64.encode(bytes)
    }

    /// Reads the key file at `path`, creating it (mode 0600) with a fresh
    /// key when it does not exist. A file others can read is refused.
    pub fn load_or_create(path: &Path) -> Result<Keyring, CryptoError> {
        let display = path.display().to_string();
        let io_error = |source| CryptoError::KeyFile { path: display.clone(), source };
        if !path.exists() {
            write_key_file(path, &Keyring::generate_key()).map_err(io_error)?;
        }
        Ok(Keyring { keys: vec![read_key_file(path)?] })
    }

    /// Adds `other`'s keys after this keyring's own (they decrypt only).
    pub fn with_decrypt_keys(mut self, other: Keyring) -> Keyring {
        for key in other.keys {
            if !self.keys.iter().any(|existing| existing.id == key.id) {
                self.keys.push(key);
            }
        }
        self
    }

    /// Whether the key with id `key_id` is loaded (to decrypt with).
    pub fn holds(&self, key_id: &str) -> bool {
        self.keys.iter().any(|key| key.id == key_id)
    }

    /// The ids of the loaded keys, the encrypting one first.
    pub fn key_ids(&self) -> Vec<&str> {
        self.keys.iter().map(|key| key.id.as_str()).collect()
    }

    /// The id of the key that encrypts.
    pub fn primary_id(&self) -> &str {
        self.keys.first().map_or("", |key| key.id.as_str())
    }

    /// A secret for `label` that every process with the same primary key
    /// derives alike (64 hex characters), so processes can prove
    /// themselves to each other without another shared setting. It says
    /// nothing about the key.
    pub fn derived_secret(&self, label: &str) -> Option<String> {
        let key = self.keys.first()?;
        let mut digest = Sha256::new();
        digest.update(key.derivation_seed);
        digest.update(label.as_bytes());
        Some(digest.finalize().iter().map(|byte| format!("{byte:02x}")).collect())
    }

    /// Encrypts `plaintext` for `column`.
    pub fn encrypt(&self, column: &str, plaintext: &str) -> Result<String, CryptoError> {
        let Some(key) = self.keys.first() else {
            return Err(CryptoError::UnknownKey {
                column: column.to_owned(),
                key_id: "none".into(),
            });
        };
        let mut nonce = [0_u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = key
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload { msg: plaintext.as_bytes(), aad: column.as_bytes() },
            )
            .map_err(|_| CryptoError::Corrupt { column: column.to_owned() })?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        Ok(format!("v1:{}:{}", key.id, BASE64.encode(blob)))
    }

    /// Decrypts a ciphertext of `column`.
    pub fn decrypt(&self, column: &str, ciphertext: &str) -> Result<SecretString, CryptoError> {
        let corrupt = || CryptoError::Corrupt { column: column.to_owned() };
        let mut parts = ciphertext.splitn(3, ':');
        let (Some("v1"), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(corrupt());
        };
        let Some(key) = self.keys.iter().find(|key| key.id == key_id) else {
            return Err(CryptoError::UnknownKey {
                column: column.to_owned(),
                key_id: key_id.to_owned(),
            });
        };
        let blob = BASE64.decode(body).map_err(|_| corrupt())?;
        if blob.len() < 12 {
            return Err(corrupt());
        }
        let (nonce, sealed) = blob.split_at(12);
        let plain = key
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: column.as_bytes() })
            .map_err(|_| corrupt())?;
        String::from_utf8(plain).map(SecretString).map_err(|_| corrupt())
    }

    /// The key id of a ciphertext, if it has the expected shape.
    pub fn key_id_of(ciphertext: &str) -> Option<&str> {
        ciphertext.strip_prefix("v1:")?.split(':').next()
    }
}

fn parse_key(text: &str, source_name: &str) -> Result<Key, CryptoError> {
    let bad = || CryptoError::BadKey { source_name: source_name.to_owned() };
    let bytes = BASE64.decode(text.trim()).map_err(|_| bad())?;
    if bytes.len() != 32 {
        return Err(bad());
    }
    let id = hex8(&Sha256::digest(&bytes));
    let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| bad())?;
    let mut seed = Sha256::new();
    seed.update(b"vigil derived secrets\0");
    seed.update(&bytes);
    Ok(Key { id, cipher, derivation_seed: seed.finalize().into() })
}

fn hex8(digest: &[u8]) -> String {
    digest.iter().take(4).map(|byte| format!("{byte:02x}")).collect()
}

fn read_key_file(path: &Path) -> Result<Key, CryptoError> {
    let display = path.display().to_string();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let metadata = std::fs::metadata(path)
            .map_err(|source| CryptoError::KeyFile { path: display.clone(), source })?;
        if metadata.permissions().mode() & 0o077 != 0 {
            return Err(CryptoError::KeyFileMode { path: display });
        }
    }
    let text = std::fs::read_to_string(path)
        .map_err(|source| CryptoError::KeyFile { path: display.clone(), source })?;
    parse_key(&text, &display)
}

/// Writes `key` to a new file at `path` readable by its owner only. Fails
/// if the file exists: a key is never overwritten.
pub fn write_key_file(path: &Path, key: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(key.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// Loads the keyring of a data directory: `master.key` (created when
/// missing) and, while a rotation is under way, `master.key.next`.
pub fn load_data_dir_keyring(data_dir: &Path) -> Result<Keyring, CryptoError> {
    let keyring = Keyring::load_or_create(&data_dir.join(KEY_FILE))?;
    let next = data_dir.join(NEXT_KEY_FILE);
    if next.exists() {
        return Ok(Keyring { keys: vec![read_key_file(&next)?] }.with_decrypt_keys(keyring));
    }
    Ok(keyring)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_column_binding() {
        let keyring = Keyring::from_base64(&Keyring::generate_key(), "test").unwrap();
        let sealed = keyring.encrypt("instances.oauth_secret_enc", "gloas-secret").unwrap();
        assert!(!sealed.contains("gloas-secret"));
        assert_eq!(
            keyring.decrypt("instances.oauth_secret_enc", &sealed).unwrap().expose(),
            "gloas-secret"
        );
        // Moved to another column: refused.
        assert!(matches!(
            keyring.decrypt("instances.access_token_enc", &sealed),
            Err(CryptoError::Corrupt { .. })
        ));
        // Two encryptions differ (fresh nonce).
        assert_ne!(sealed, keyring.encrypt("instances.oauth_secret_enc", "gloas-secret").unwrap());
        // Tampered: refused.
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(keyring.decrypt("instances.oauth_secret_enc", &tampered).is_err());
    }

    #[test]
    fn derived_secrets_agree_per_key_and_label_only() {
        let text = Keyring::generate_key();
        let one = Keyring::from_base64(&text, "one").unwrap();
        let same = Keyring::from_base64(&text, "same key elsewhere").unwrap();
        let other = Keyring::from_base64(&Keyring::generate_key(), "other").unwrap();
        let secret = one.derived_secret("transporter-forward").unwrap();
        assert_eq!(secret.len(), 64);
        assert_eq!(Some(secret.clone()), same.derived_secret("transporter-forward"));
        assert_ne!(Some(secret.clone()), one.derived_secret("another purpose"));
        assert_ne!(Some(secret.clone()), other.derived_secret("transporter-forward"));
        assert!(
            !secret.contains(&text) && Keyring { keys: Vec::new() }.derived_secret("x").is_none()
        );
    }

    #[test]
    fn other_keys_are_named_not_guessed() {
        let old = Keyring::from_base64(&Keyring::generate_key(), "old").unwrap();
        let new = Keyring::from_base64(&Keyring::generate_key(), "new").unwrap();
        let sealed = old.encrypt("c", "value").unwrap();
        let error = new.decrypt("c", &sealed).unwrap_err().to_string();
        assert!(error.contains(old.primary_id()), "{error}");
        let both = new.with_decrypt_keys(old);
        assert_eq!(both.decrypt("c", &sealed).unwrap().expose(), "value");
    }

    #[test]
    fn bad_keys_and_loose_files_are_refused() {
        let error = Keyring::from_base64("c2hvcnQ=", "VIGIL_MASTER_KEY").unwrap_err().to_string();
        assert!(error.starts_with("VIGIL_MASTER_KEY: the master key must be 32 bytes"), "{error}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        let first = Keyring::load_or_create(&path).unwrap();
        let again = Keyring::load_or_create(&path).unwrap();
        assert_eq!(first.primary_id(), again.primary_id());
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(Keyring::load_or_create(&path), Err(CryptoError::KeyFileMode { .. })));
        assert_eq!(format!("{:?}", SecretString::new("glpat-x")), "[redacted]");
    }
}
