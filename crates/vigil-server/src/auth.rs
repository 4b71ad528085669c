//! Who is calling and what they may do: password hashing (argon2id), API
//! tokens (random, shown once, stored as SHA-256), cookie sessions with a
//! CSRF token, and the role/scope check every route makes through the
//! [`Viewer`], [`Member`] and [`Admin`] extractors.
//!
//! A caller's permission is the lesser of their role (viewer < member <
//! admin) and, for tokens, the token's scope (read < write < admin).
//! Requests authenticated by cookie must send the session's CSRF token in
//! `X-CSRF-Token` on every method that is not GET/HEAD/OPTIONS.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use vigil_store::{Queue, User};

use crate::AppState;
use crate::error::AppError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "vigil_session";
/// The header carrying the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Prefix of every API token, so secret scanners (ours too) recognise them.
pub const TOKEN_PREFIX: &str = "vgl_";

/// What a caller may do, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Permission {
    /// Read everything.
    Read,
    /// Change issues, trigger scans.
    Write,
    /// Manage users, instances, transporters; read the audit log.
    Admin,
}

impl Permission {
    /// The permission of a role name (`viewer`, `member`, `admin`).
    pub fn of_role(role: &str) -> Option<Permission> {
        match role {
            "viewer" => Some(Permission::Read),
            "member" => Some(Permission::Write),
            "admin" => Some(Permission::Admin),
            _ => None,
        }
    }

    /// The permission of a token scope (`read`, `write`, `admin`).
    pub fn of_scope(scope: &str) -> Option<Permission> {
        match scope {
            "read" => Some(Permission::Read),
            "write" => Some(Permission::Write),
            "admin" => Some(Permission::Admin),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Write => "write",
            Permission::Admin => "admin",
        }
    }
}

/// How a caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A browser session, with its CSRF token (for the pages to send back).
    Session {
        /// The session's CSRF token.
        csrf: String,
    },
    /// An API token: its id and prefix.
    Token {
        /// Token id.
        id: i64,
        /// Token prefix.
        prefix: String,
    },
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub user: User,
    /// Session or token.
    pub credential: Credential,
    /// What they may do.
    pub permission: Permission,
}

impl Caller {
    /// How the audit log names this caller.
    pub fn actor(&self) -> String {
        match &self.credential {
            Credential::Session { .. } => format!("user:{}", self.user.username),
            Credential::Token { prefix, .. } => {
                format!("user:{} token:{prefix}", self.user.username)
            }
        }
    }
}

/// Runs argon2 into `out` on this thread's working memory, kept and reused
/// from call to call: allocated anew for every hash, the 19 MiB blocks were
/// never given back (20 sign-ins left the server at 190 MB).
fn argon2_into(
    argon2: &Argon2<'_>,
    blocks: usize,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    thread_local! {
        static MEMORY: std::cell::RefCell<Vec<argon2::Block>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        memory.resize(blocks, argon2::Block::default());
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, out, memory.as_mut_slice())
    })
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let internal = |error: &dyn std::fmt::Display| AppError::internal(error);
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0_u8; 64];
    let raw_salt = salt.decode_b64(&mut salt_bytes).map_err(|error| internal(&error))?;
    let params = argon2::Params::default();
    let (algorithm, version) = (argon2::Algorithm::Argon2id, argon2::Version::V0x13);
    let mut out = [0_u8; argon2::Params::DEFAULT_OUTPUT_LEN];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    argon2_into(&argon2, params.block_count(), password, raw_salt, &mut out)
        .map_err(|error| internal(&error))?;
    let phc = PasswordHash {
        algorithm: algorithm.ident(),
        version: Some(version.into()),
        params: argon2::password_hash::ParamsString::try_from(&params)
            .map_err(|error| internal(&error))?,
        salt: Some(salt.as_salt()),
        hash: Some(argon2::password_hash::Output::new(&out).map_err(|error| internal(&error))?),
    };
    Ok(phc.to_string())
}

/// A PHC string of a password nobody knows: verified against when the user
/// does not exist, so that both cases take the same time.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Jj8f0wTQ+uN5Zm0vVYVk2sTU4kMDuaS7dG3DqRlytNk";

/// Checks `password` against a stored PHC hash (or the dummy one).
pub fn verify_password(password: &str, hash: Option<&str>) -> bool {
    let Ok(parsed) = PasswordHash::new(hash.unwrap_or(DUMMY_HASH)) else { return false };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        argon2::Algorithm::try_from(parsed.algorithm),
        argon2::Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    let version = parsed
        .version
        .and_then(|version| argon2::Version::try_from(version).ok())
        .unwrap_or_default();
    let mut salt_bytes = [0_u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    let mut out = vec![0_u8; expected.len()];
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    argon2_into(&argon2, blocks, password, salt, &mut out).is_ok()
        && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
        && hash.is_some()
}

/// Passwords shorter than this are refused.
pub const MIN_PASSWORD_LEN: usize = 12;

/// Refuses passwords too short to resist guessing.
pub fn check_password_strength(password: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AppError::bad_request(format!(
            "passwords need at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    Ok(())
}

/// 32 random bytes, URL-safe base64.
pub fn random_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 in hex: how session ids and tokens are stored. They are 256-bit
/// random values, so a fast hash is enough (no dictionary to attack).
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A new API token: the secret to show once, and the prefix to store.
pub fn new_api_token() -> (String, String) {
    let token = format!("{TOKEN_PREFIX}{}", random_token());
    let prefix = token.chars().take(TOKEN_PREFIX.len() + 6).collect();
    (token, prefix)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The value of cookie `name` in a request's headers.
pub(crate) fn cookie_value<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Authenticates a request: a bearer token first, else the session cookie.
pub(crate) async fn authenticate(parts: &Parts, state: &AppState) -> Result<Caller, AppError> {
    let now = Queue::now_ms();
    if let Some(authorization) = parts.headers.get(header::AUTHORIZATION) {
        let token = authorization
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| {
                AppError::unauthorized("the Authorization header must be `Bearer <token>`")
            })?;
        let Some((user, record)) = state.store.token_by_hash(&token_hash(token.trim())).await?
        else {
            return Err(AppError::unauthorized("unknown API token"));
        };
        if record.revoked_at.is_some() {
            return Err(AppError::unauthorized(format!("API token {} was revoked", record.prefix)));
        }
        if record.expires_at.is_some_and(|at| at <= now) {
            return Err(AppError::unauthorized(format!("API token {} has expired", record.prefix)));
        }
        if user.disabled {
            return Err(AppError::unauthorized(format!("user {} is disabled", user.username)));
        }
        let role = Permission::of_role(&user.role).unwrap_or(Permission::Read);
        let scope = Permission::of_scope(&record.scope).unwrap_or(Permission::Read);
        state.store.touch_token(record.id, now).await?;
        return Ok(Caller {
            permission: role.min(scope),
            user,
            credential: Credential::Token { id: record.id, prefix: record.prefix },
        });
    }
    let Some(session) = cookie_value(&parts.headers, SESSION_COOKIE) else {
        return Err(AppError::unauthorized(
            "sign in, or send an API token as `Authorization: Bearer <token>`",
        ));
    };
    let Some((user, csrf)) = state.store.session(&token_hash(session), now).await? else {
        return Err(AppError::unauthorized("the session has expired; sign in again"));
    };
    if user.disabled {
        return Err(AppError::unauthorized(format!("user {} is disabled", user.username)));
    }
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let sent =
            parts.headers.get(CSRF_HEADER).and_then(|value| value.to_str().ok()).unwrap_or("");
        if !constant_time_eq(sent, &csrf) {
            return Err(AppError::forbidden(format!(
                "missing or wrong CSRF token: send the session's token in the {CSRF_HEADER} header"
            )));
        }
    }
    Ok(Caller {
        permission: Permission::of_role(&user.role).unwrap_or(Permission::Read),
        user,
        credential: Credential::Session { csrf },
    })
}

pub(crate) async fn require(
    parts: &Parts,
    state: &AppState,
    needed: Permission,
) -> Result<Caller, AppError> {
    let caller = authenticate(parts, state).await?;
    if caller.permission < needed {
        return Err(AppError::forbidden(format!(
            "this needs {} permission; {} has {} (role {}{})",
            needed.name(),
            caller.user.username,
            caller.permission.name(),
            caller.user.role,
            match &caller.credential {
                Credential::Token { prefix, .. } => format!(", token {prefix}"),
                Credential::Session { .. } => String::new(),
            }
        )));
    }
    Ok(caller)
}

macro_rules! permission_extractor {
    ($name:ident, $permission:expr, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone)]
        pub struct $name(pub Caller);

        impl FromRequestParts<AppState> for $name {
            type Rejection = AppError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &AppState,
            ) -> Result<Self, AppError> {
                require(parts, state, $permission).await.map($name)
            }
        }
    };
}

permission_extractor!(Viewer, Permission::Read, "A caller with read permission (any role).");
permission_extractor!(
    Member,
    Permission::Write,
    "A caller with write permission (member or admin)."
);
permission_extractor!(Admin, Permission::Admin, "A caller with admin permission.");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", Some(&hash)));
        assert!(!verify_password("wrong horse battery", Some(&hash)));
        assert!(!verify_password("anything", None));
        // The same PHC string argon2's own hasher writes, both ways.
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let theirs = Argon2::default()
            .hash_password(b"correct horse battery", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(verify_password("correct horse battery", Some(&theirs)));
        let ours = PasswordHash::new(&hash).unwrap();
        assert!(Argon2::default().verify_password(b"correct horse battery", &ours).is_ok());
    }

    #[test]
    fn tokens_are_prefixed_random_and_hashed() {
        let (token, prefix) = new_api_token();
        assert!(token.starts_with("vgl_") && token.len() == 47 && token.starts_with(&prefix));
        assert_ne!(token, new_api_token().0);
        assert_eq!(token_hash("abc").len(), 64);
    }

    #[test]
    fn permissions_are_the_lesser_of_role_and_scope() {
        let admin = Permission::of_role("admin").unwrap();
        let read = Permission::of_scope("read").unwrap();
        assert_eq!(admin.min(read), Permission::Read);
        assert!(Permission::of_role("owner").is_none());
    }
}
