//! OAuth 2 as GitLab (Doorkeeper) answers it: confidential applications,
//! the authorization-code grant with PKCE (S256 only), refresh-token
//! rotation, revocation and `/oauth/token/info`, following
//! ../shared/fixtures/gitlab/BEHAVIOUR.md (section OAuth 2).
//!
//! Access tokens issued here go into [`SimState::tokens`], so every API
//! endpoint accepts them; a rotated or revoked one goes into
//! [`SimState::revoked`], and an expired one is refused by [`refused`],
//! which the API's authentication calls.
//!
//! **Signing in.** The simulator has no passwords. The consent page knows
//! the user from `?sim_user=<username>` on `GET /oauth/authorize`, or from
//! the `sim_user` cookie that `GET /users/sign_in?sim_user=<username>` sets
//! (with `&redirect_to=/path` it redirects there afterwards). The page's
//! Authorize form carries the user in a hidden `sim_user` field, so a test
//! only has to post the form back: [`consent_form_fields`] reads it.
//!
//! This module must not know about projects, hooks or anything else of the
//! REST API: it owns only applications, grants and the tokens it issued.

// Handlers return ready-made error responses; boxing them would only add
// noise to a test double.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::{SimState, Simulator};

/// How long an authorization code may be exchanged (GitLab: 10 minutes).
const CODE_LIFETIME_MS: i64 = 10 * 60 * 1000;

/// GitLab's access-token lifetime (`expires_in: 7200`).
const DEFAULT_ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(7200);

/// The answer GitLab's API gives for an expired OAuth access token.
const EXPIRED: &str = "Token is expired. You can either do re-authorization or token refresh.";

const INVALID_GRANT: &str = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.";
const INVALID_CLIENT: &str = "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.";

/// A registered OAuth application. Every one is confidential: it has a
/// secret and must send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthApplication {
    /// The name shown on the consent page.
    pub name: String,
    /// `client_id` (GitLab calls it the application's uid).
    pub uid: String,
    /// `client_secret`.
    pub secret: String,
    /// Allowed redirect URIs, each matched exactly.
    pub redirect_uris: Vec<String>,
    /// Scopes the application may ask for.
    pub scopes: Vec<String>,
}

/// An authorization code waiting to be exchanged.
#[derive(Debug, Clone)]
struct Grant {
    application: String,
    user: u64,
    redirect_uri: String,
    scopes: Vec<String>,
    challenge: Option<String>,
    created_ms: i64,
}

/// One access token and its refresh token, as Doorkeeper keeps them: one
/// record, so revoking either revokes both.
#[derive(Debug, Clone)]
struct Issued {
    application: String,
    user: u64,
    scopes: Vec<String>,
    created_ms: i64,
    expires_at_ms: i64,
    revoked: bool,
}

/// Applications, pending codes and issued tokens, inside [`SimState`].
#[derive(Debug)]
pub struct OAuthState {
    /// Applications by `client_id`.
    pub applications: BTreeMap<String, OAuthApplication>,
    /// Lifetime of new access tokens (7200 s unless a test shortens it).
    pub access_token_lifetime: Duration,
    /// Successful `grant_type=refresh_token` requests.
    pub refreshes: u64,
    /// Successful `grant_type=authorization_code` requests.
    pub code_exchanges: u64,
    grants: BTreeMap<String, Grant>,
    /// Access token → its record.
    issued: BTreeMap<String, Issued>,
    /// Refresh token → access token.
    refresh_index: BTreeMap<String, String>,
    counter: u64,
    seed: u128,
}

impl Default for OAuthState {
    fn default() -> Self {
        let seed = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_nanos());
        OAuthState {
            applications: BTreeMap::new(),
            access_token_lifetime: DEFAULT_ACCESS_TOKEN_LIFETIME,
            refreshes: 0,
            code_exchanges: 0,
            grants: BTreeMap::new(),
            issued: BTreeMap::new(),
            refresh_index: BTreeMap::new(),
            counter: 0,
            seed,
        }
    }
}

impl OAuthState {
    /// A new 64-hex-digit secret, like GitLab's; unguessable enough for a
    /// test double.
    fn secret(&mut self, kind: &str) -> String {
        self.counter += 1;
        let digest = Sha256::digest(format!("{kind}:{}:{}", self.seed, self.counter));
        format!("{digest:x}")
    }

    fn authenticate_client(
        &self,
        headers: &HeaderMap,
        params: &HashMap<String, String>,
    ) -> Result<OAuthApplication, Response> {
        let (id, secret) = basic_credentials(headers).unwrap_or_else(|| {
            (
                params.get("client_id").cloned().unwrap_or_default(),
                params.get("client_secret").cloned().unwrap_or_default(),
            )
        });
        self.applications
            .get(&id)
            .filter(|application| !secret.is_empty() && application.secret == secret)
            .cloned()
            .ok_or_else(|| oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", INVALID_CLIENT))
    }

    /// The live record of an access token, or why it is refused.
    fn live(&self, access_token: &str, now_ms: i64) -> Result<&Issued, &'static str> {
        match self.issued.get(access_token) {
            None => Err("The access token is invalid"),
            Some(issued) if issued.revoked => Err("The access token was revoked"),
            Some(issued) if issued.expires_at_ms <= now_ms => Err("The access token expired"),
            Some(issued) => Ok(issued),
        }
    }
}

impl Simulator {
    /// Registers a confidential OAuth application; returns its
    /// `(client_id, client_secret)`. `redirect_uri` may hold several URIs
    /// separated by whitespace, as GitLab's form does.
    pub fn add_oauth_application(
        &self,
        name: &str,
        redirect_uri: &str,
        scopes: &[&str],
    ) -> (String, String) {
        let mut state = self.state();
        let oauth = &mut state.oauth;
        let uid = oauth.secret("uid");
        let secret = format!("gloas-{}", oauth.secret("secret"));
        oauth.applications.insert(
            uid.clone(),
            OAuthApplication {
                name: name.to_owned(),
                uid: uid.clone(),
                secret: secret.clone(),
                redirect_uris: redirect_uri.split_whitespace().map(str::to_owned).collect(),
                scopes: scopes.iter().map(|scope| (*scope).to_owned()).collect(),
            },
        );
        (uid, secret)
    }

    /// Makes an OAuth access token expired now; its refresh token still
    /// works.
    pub fn expire_access_token(&self, access_token: &str) {
        let now = now_ms();
        if let Some(issued) = self.state().oauth.issued.get_mut(access_token) {
            issued.expires_at_ms = issued.expires_at_ms.min(now);
        }
    }

    /// Makes every OAuth access token issued so far expired now, as when
    /// GitLab's clock is ahead of its client's: the client still believes
    /// them valid, GitLab answers 401 "Token is expired".
    pub fn expire_all_access_tokens(&self) {
        let now = now_ms();
        for issued in self.state().oauth.issued.values_mut() {
            issued.expires_at_ms = issued.expires_at_ms.min(now);
        }
    }

    /// Makes every OAuth access token issued so far expired and every
    /// refresh token unknown, as when an admin revokes the application's
    /// authorisation or the refresh tokens outlived GitLab's limit: calls
    /// answer 401 "Token is expired" and a refresh `invalid_grant`; only a
    /// new consent gives working tokens.
    pub fn expire_all_authorisations(&self) {
        self.expire_all_access_tokens();
        self.state().oauth.refresh_index.clear();
    }

    /// Makes every pending authorization code older than GitLab accepts.
    pub fn expire_authorization_codes(&self) {
        for grant in self.state().oauth.grants.values_mut() {
            grant.created_ms -= CODE_LIFETIME_MS;
        }
    }

    /// Sets the lifetime of access tokens issued from now on (`expires_in`
    /// is its whole seconds).
    pub fn set_access_token_lifetime(&self, lifetime: Duration) {
        self.state().oauth.access_token_lifetime = lifetime;
    }

    /// How many refresh-token grants succeeded.
    pub fn oauth_refresh_count(&self) -> u64 {
        self.state().oauth.refreshes
    }

    /// How many authorization codes were exchanged.
    pub fn oauth_code_exchange_count(&self) -> u64 {
        self.state().oauth.code_exchanges
    }
}

/// The hidden fields of the consent page's form `form_id` (`"authorize"`
/// or `"deny"`), to post back to `POST /oauth/authorize` as a browser
/// would. Empty when the page has no such form.
pub fn consent_form_fields(html: &str, form_id: &str) -> Vec<(String, String)> {
    let marker = format!("id=\"{form_id}\"");
    let Some(start) = html.find(&marker) else {
        return Vec::new();
    };
    let form = &html[start..];
    let form = &form[..form.find("</form>").unwrap_or(form.len())];
    form.split("<input ")
        .skip(1)
        .filter_map(|input| {
            let name = attribute(input, "name")?;
            let value = attribute(input, "value").unwrap_or_default();
            Some((name, value))
        })
        .collect()
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let end = start + tag[start..].find('"')?;
    Some(unescape(&tag[start..end]))
}

/// An OAuth access token's refusal by the API: expired tokens answer 401
/// `invalid_token` with `WWW-Authenticate`, as GitLab does. Revoked ones
/// are in [`SimState::revoked`] and refused there.
pub(crate) fn refused(state: &SimState, token: &str) -> Option<Response> {
    let issued = state.oauth.issued.get(token)?;
    if issued.expires_at_ms > now_ms() {
        return None;
    }
    let mut response = (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": "invalid_token", "error_description": EXPIRED})),
    )
        .into_response();
    let challenge = format!(
        "Bearer realm=\"Doorkeeper\", error=\"invalid_token\", error_description=\"{EXPIRED}\""
    );
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    Some(response)
}

#[derive(Clone)]
struct Shared(Arc<Mutex<SimState>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, SimState> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The OAuth routes and the simulated sign-in, for merging into the API
/// router (they then share its fault injection and request log).
pub(crate) fn router<S: Clone + Send + Sync + 'static>(state: Arc<Mutex<SimState>>) -> Router<S> {
    Router::new()
        .route("/oauth/authorize", get(authorize_page).post(authorize_decision))
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
        .route("/oauth/token/info", get(token_info))
        .route("/users/sign_in", get(sign_in))
        .with_state(Shared(state))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
}

/// Doorkeeper's error body; a 401 also carries `WWW-Authenticate`.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response =
        (status, Json(json!({"error": error, "error_description": description}))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        let challenge = format!(
            "Bearer realm=\"Doorkeeper\", error=\"{error}\", error_description=\"{description}\""
        );
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
    }
    response
}

fn missing(parameter: &str) -> Response {
    oauth_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        &format!("Missing required parameter: {parameter}."),
    )
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn cookie_user(headers: &HeaderMap) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|value| value.to_str().ok()).find_map(
        |cookies| {
            cookies.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                (name == "sim_user").then(|| value.to_owned())
            })
        },
    )
}

/// The signed-in user's id: `sim_user` in the parameters, else the cookie.
fn signed_in(
    state: &SimState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Option<(u64, String)> {
    let username = params.get("sim_user").cloned().or_else(|| cookie_user(headers))?;
    state.users.values().find(|user| user.username == username).map(|user| (user.id, username))
}

/// A valid authorization request.
struct AuthorizeRequest {
    application: OAuthApplication,
    redirect_uri: String,
    state: Option<String>,
    scopes: Vec<String>,
    challenge: Option<String>,
}

/// Checks an authorization request as Doorkeeper does: an unknown client
/// or a redirect URI that is not registered gets an error page (sending
/// the browser to an unchecked URI would be an open redirect); any other
/// mistake goes back to the client's redirect URI with `error=`.
fn validate(
    state: &SimState,
    params: &HashMap<String, String>,
) -> Result<AuthorizeRequest, Response> {
    let application = params
        .get("client_id")
        .and_then(|id| state.oauth.applications.get(id))
        .cloned()
        .ok_or_else(|| error_page(INVALID_CLIENT))?;
    let redirect_uri = params
        .get("redirect_uri")
        .filter(|uri| application.redirect_uris.contains(uri))
        .cloned()
        .ok_or_else(|| {
            error_page(
                "The requested redirect uri is malformed or doesn't match client redirect URI.",
            )
        })?;
    let client_state = params.get("state").cloned();
    let back = |error: &str, description: &str| {
        redirect_back(
            &redirect_uri,
            &[
                ("error", Some(error)),
                ("error_description", Some(description)),
                ("state", client_state.as_deref()),
            ],
        )
    };
    if params.get("response_type").map(String::as_str) != Some("code") {
        return Err(back(
            "unsupported_response_type",
            "The authorization server does not support this response type.",
        ));
    }
    let scopes: Vec<String> = match params.get("scope") {
        Some(scope) => scope.split_whitespace().map(str::to_owned).collect(),
        None => application.scopes.clone(),
    };
    if scopes.is_empty() || scopes.iter().any(|scope| !application.scopes.contains(scope)) {
        return Err(back(
            "invalid_scope",
            "The requested scope is invalid, unknown, or malformed.",
        ));
    }
    let challenge = params.get("code_challenge").cloned();
    if let Some(challenge) = &challenge {
        if params.get("code_challenge_method").map(String::as_str) != Some("S256") {
            return Err(back("invalid_request", "The code challenge method must be S256."));
        }
        let well_formed = (43..=128).contains(&challenge.len())
            && challenge
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || b"-._~".contains(&byte));
        if !well_formed {
            return Err(back("invalid_request", "The code challenge is malformed."));
        }
    }
    Ok(AuthorizeRequest { application, redirect_uri, state: client_state, scopes, challenge })
}

fn error_page(description: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html><head><title>An error has occurred · GitLab</title></head><body><main><h3>An error has occurred</h3><p>{}</p></main></body></html>\n",
        escape(description)
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn redirect_back(redirect_uri: &str, params: &[(&str, Option<&str>)]) -> Response {
    let query: Vec<String> = params
        .iter()
        .filter_map(|(name, value)| value.map(|value| format!("{name}={}", encode(value))))
        .collect();
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    redirect(&format!("{redirect_uri}{separator}{}", query.join("&")))
}

/// Not signed in: GitLab sends the browser to its sign-in page first.
fn to_sign_in(path_and_query: &str) -> Response {
    redirect(&format!("/users/sign_in?redirect_to={}", encode(path_and_query)))
}

/// `GET /oauth/authorize`: the consent page.
async fn authorize_page(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let state = shared.lock();
    let request = match validate(&state, &params) {
        Ok(request) => request,
        Err(response) => return response,
    };
    let Some((_, username)) = signed_in(&state, &headers, &params) else {
        let mut query: Vec<String> = params
            .iter()
            .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
            .collect();
        query.sort();
        return to_sign_in(&format!("/oauth/authorize?{}", query.join("&")));
    };
    Html(consent_page(&request, &username)).into_response()
}

fn consent_page(request: &AuthorizeRequest, username: &str) -> String {
    let mut hidden = String::new();
    let scope = request.scopes.join(" ");
    let fields = [
        ("client_id", Some(request.application.uid.as_str())),
        ("redirect_uri", Some(request.redirect_uri.as_str())),
        ("state", request.state.as_deref()),
        ("response_type", Some("code")),
        ("scope", Some(scope.as_str())),
        ("code_challenge", request.challenge.as_deref()),
        ("code_challenge_method", request.challenge.as_ref().map(|_| "S256")),
        ("sim_user", Some(username)),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            hidden.push_str(&format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">\n",
                escape(value)
            ));
        }
    }
    let name = escape(&request.application.name);
    let scopes: String =
        request.scopes.iter().map(|scope| format!("<li>{}</li>", escape(scope))).collect();
    format!(
        "<!DOCTYPE html>\n<html><head><title>Authorize application · GitLab</title></head><body><main>\n\
         <h3>Authorize <strong>{name}</strong> to use your account?</h3>\n\
         <p>Signed in as {user}.</p>\n\
         <p>An application called {name} is requesting access to your GitLab account. This application will be able to:</p>\n\
         <ul>{scopes}</ul>\n\
         <form method=\"post\" action=\"/oauth/authorize\" id=\"authorize\">\n{hidden}\
         <button type=\"submit\" name=\"commit\" value=\"Authorize\">Authorize {name}</button>\n</form>\n\
         <form method=\"post\" action=\"/oauth/authorize\" id=\"deny\">\n\
         <input type=\"hidden\" name=\"_method\" value=\"delete\">\n{hidden}\
         <button type=\"submit\" name=\"commit\" value=\"Deny\">Cancel</button>\n</form>\n\
         </main></body></html>\n",
        user = escape(username),
    )
}

/// `POST /oauth/authorize`: the consent form. Authorize redirects with a
/// code; Deny (`_method=delete`, Rails' way of sending DELETE from a form)
/// redirects with `error=access_denied`.
async fn authorize_decision(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Form(params): Form<HashMap<String, String>>,
) -> Response {
    let mut state = shared.lock();
    let request = match validate(&state, &params) {
        Ok(request) => request,
        Err(response) => return response,
    };
    let Some((user, _)) = signed_in(&state, &headers, &params) else {
        return to_sign_in("/oauth/authorize");
    };
    if params.get("_method").is_some_and(|method| method.eq_ignore_ascii_case("delete")) {
        return redirect_back(
            &request.redirect_uri,
            &[
                ("error", Some("access_denied")),
                (
                    "error_description",
                    Some("The resource owner or authorization server denied the request."),
                ),
                ("state", request.state.as_deref()),
            ],
        );
    }
    let code = state.oauth.secret("code");
    state.oauth.grants.insert(
        code.clone(),
        Grant {
            application: request.application.uid,
            user,
            redirect_uri: request.redirect_uri.clone(),
            scopes: request.scopes,
            challenge: request.challenge,
            created_ms: now_ms(),
        },
    );
    redirect_back(
        &request.redirect_uri,
        &[("code", Some(&code)), ("state", request.state.as_deref())],
    )
}

/// `GET /users/sign_in?sim_user=<username>[&redirect_to=/path]`: signs in
/// by setting the `sim_user` cookie.
async fn sign_in(
    State(shared): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let known = params
        .get("sim_user")
        .filter(|username| shared.lock().users.values().any(|user| &user.username == *username))
        .cloned();
    let Some(username) = known else {
        return Html("<!DOCTYPE html>\n<html><head><title>Sign in · GitLab</title></head><body><main><p>The simulator signs in with <code>?sim_user=USERNAME</code>.</p></main></body></html>\n").into_response();
    };
    let mut response = match params.get("redirect_to").filter(|path| path.starts_with('/')) {
        Some(path) => redirect(path),
        None => Html(format!("<p>Signed in as {}.</p>\n", escape(&username))).into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(&format!("sim_user={username}; path=/; HttpOnly")) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `POST /oauth/token`.
async fn token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Form(params): Form<HashMap<String, String>>,
) -> Response {
    let mut state = shared.lock();
    let application = match state.oauth.authenticate_client(&headers, &params) {
        Ok(application) => application,
        Err(response) => return response,
    };
    match params.get("grant_type").map(String::as_str) {
        Some("authorization_code") => exchange_code(&mut state, &application, &params),
        Some("refresh_token") => refresh(&mut state, &application, &params),
        Some(_) => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        ),
        None => missing("grant_type"),
    }
}

fn exchange_code(
    state: &mut SimState,
    application: &OAuthApplication,
    params: &HashMap<String, String>,
) -> Response {
    let Some(code) = params.get("code") else {
        return missing("code");
    };
    let invalid_grant = || oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", INVALID_GRANT);
    let Some(grant) = state.oauth.grants.get(code).cloned() else {
        return invalid_grant();
    };
    if grant.application != application.uid
        || grant.created_ms + CODE_LIFETIME_MS <= now_ms()
        || params.get("redirect_uri") != Some(&grant.redirect_uri)
    {
        return invalid_grant();
    }
    if let Some(challenge) = &grant.challenge {
        let Some(verifier) = params.get("code_verifier") else {
            return missing("code_verifier");
        };
        if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != *challenge {
            return invalid_grant();
        }
    }
    // A code is single-use: a second exchange is an invalid grant.
    state.oauth.grants.remove(code);
    state.oauth.code_exchanges += 1;
    issue(state, &application.uid, grant.user, grant.scopes)
}

/// Rotation: the old access and refresh tokens are revoked at once and a
/// new pair issued, so a refresh token works exactly once.
fn refresh(
    state: &mut SimState,
    application: &OAuthApplication,
    params: &HashMap<String, String>,
) -> Response {
    let Some(refresh_token) = params.get("refresh_token") else {
        return missing("refresh_token");
    };
    let invalid_grant = || oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", INVALID_GRANT);
    let Some(access_token) = state.oauth.refresh_index.get(refresh_token).cloned() else {
        return invalid_grant();
    };
    let Some(issued) = state.oauth.issued.get(&access_token).cloned() else {
        return invalid_grant();
    };
    let redirect_ok =
        params.get("redirect_uri").is_none_or(|uri| application.redirect_uris.contains(uri));
    if issued.revoked || issued.application != application.uid || !redirect_ok {
        return invalid_grant();
    }
    revoke_pair(state, &access_token);
    state.oauth.refreshes += 1;
    issue(state, &application.uid, issued.user, issued.scopes)
}

fn issue(state: &mut SimState, application: &str, user: u64, scopes: Vec<String>) -> Response {
    let access_token = state.oauth.secret("access");
    let refresh_token = state.oauth.secret("refresh");
    let created_ms = now_ms();
    let lifetime = state.oauth.access_token_lifetime;
    let lifetime_ms = i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX);
    let body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
        "refresh_token": refresh_token,
        "scope": scopes.join(" "),
        "created_at": created_ms / 1000,
    });
    state.tokens.insert(access_token.clone(), user);
    state.oauth.refresh_index.insert(refresh_token.clone(), access_token.clone());
    state.oauth.issued.insert(
        access_token,
        Issued {
            application: application.to_owned(),
            user,
            scopes,
            created_ms,
            expires_at_ms: created_ms.saturating_add(lifetime_ms),
            revoked: false,
        },
    );
    Json(body).into_response()
}

/// Revokes an access token and its refresh token together; the API then
/// answers `invalid_token` ("Token was revoked") for the access token.
fn revoke_pair(state: &mut SimState, access_token: &str) {
    if let Some(issued) = state.oauth.issued.get_mut(access_token) {
        issued.revoked = true;
    }
    state.tokens.remove(access_token);
    if !state.revoked.iter().any(|revoked| revoked == access_token) {
        state.revoked.push(access_token.to_owned());
    }
}

/// `POST /oauth/revoke` (RFC 7009): `token` is an access or a refresh
/// token; either revokes the pair. An unknown token is not an error.
async fn revoke(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Form(params): Form<HashMap<String, String>>,
) -> Response {
    let mut state = shared.lock();
    let application = match state.oauth.authenticate_client(&headers, &params) {
        Ok(application) => application,
        Err(response) => return response,
    };
    let Some(token) = params.get("token") else {
        return missing("token");
    };
    let access_token = match state.oauth.refresh_index.get(token) {
        Some(access_token) => access_token.clone(),
        None => token.clone(),
    };
    match state.oauth.issued.get(&access_token) {
        Some(issued) if issued.application != application.uid => oauth_error(
            StatusCode::FORBIDDEN,
            "unauthorized_client",
            "You are not authorized to revoke this token",
        ),
        Some(_) => {
            revoke_pair(&mut state, &access_token);
            Json(json!({})).into_response()
        }
        None => Json(json!({})).into_response(),
    }
}

/// `GET /oauth/token/info`: the token from `Authorization: Bearer` or
/// `?access_token=`.
async fn token_info(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(str::to_owned);
    let Some(access_token) = bearer.or_else(|| params.get("access_token").cloned()) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "The access token is invalid",
        );
    };
    let state = shared.lock();
    let now = now_ms();
    match state.oauth.live(&access_token, now) {
        Ok(issued) => {
            let expires_in = (issued.expires_at_ms - now) / 1000;
            Json(json!({
                "resource_owner_id": issued.user,
                "scope": issued.scopes,
                "expires_in": expires_in,
                "application": {"uid": issued.application},
                "created_at": issued.created_ms / 1000,
                // Deprecated aliases GitLab still sends.
                "scopes": issued.scopes,
                "expires_in_seconds": expires_in,
            }))
            .into_response()
        }
        Err(description) => oauth_error(StatusCode::UNAUTHORIZED, "invalid_token", description),
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"").replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")
}
