//! OAuth 2 against `gitlab-sim`, one test per behaviour in
//! ../shared/fixtures/gitlab/BEHAVIOUR.md (section OAuth 2): the consent
//! step played as a browser would, PKCE, exact redirect URIs, single-use
//! codes, refresh rotation, expiry, revocation and token info.

use std::collections::HashMap;
use std::time::Duration;

use gitlab_sim::{Fault, Simulator, consent_form_fields};
use vigil_gitlab::{
    Client, ClientSettings, DEFAULT_REFRESH_MARGIN_MS, GitLabError, OAuthClient, Pkce, TokenSet,
    authorize_url, needs_refresh, random_state,
};

const REDIRECT_URI: &str = "https://vigil.example/oauth/gitlab/callback";
const SCOPES: [&str; 2] = ["api", "read_user"];

struct OAuthSetup {
    sim: Simulator,
    oauth: OAuthClient,
    client_id: String,
    client_secret: String,
}

async fn setup() -> OAuthSetup {
    let sim = Simulator::start().await.unwrap();
    sim.add_user("vigil-admin", false);
    let (client_id, client_secret) =
        sim.add_oauth_application("Vigil Security", REDIRECT_URI, &SCOPES);
    let oauth = OAuthClient::new(
        &sim.base_url(),
        &client_id,
        vigil_gitlab::Token::new(client_secret.clone()),
        &ClientSettings::default(),
    )
    .unwrap();
    OAuthSetup { sim, oauth, client_id, client_secret }
}

/// A browser that does not follow redirects, so each step can be checked.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn query_of(location: &str) -> HashMap<String, String> {
    reqwest::Url::parse(location).unwrap().query_pairs().into_owned().collect()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[reqwest::header::LOCATION].to_str().unwrap().to_owned()
}

/// Opens the consent page as `user` (the simulator's `sim_user` sign-in),
/// then submits its `form` ("authorize" or "deny"); returns the page and
/// the query of the redirect back to Vigil.
async fn consent(
    sim: &Simulator,
    url: &str,
    user: &str,
    form: &str,
) -> (String, HashMap<String, String>) {
    let browser = browser();
    let page = browser.get(format!("{url}&sim_user={user}")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let fields = consent_form_fields(&html, form);
    assert!(!fields.is_empty(), "no {form} form in {html}");
    let answer = browser
        .post(format!("{}/oauth/authorize", sim.base_url()))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);
    let location = location(&answer);
    assert!(location.starts_with(REDIRECT_URI), "{location}");
    (html, query_of(&location))
}

/// The whole browser part: a code for `pkce`, checked against `state`.
async fn authorized_code(setup: &OAuthSetup, pkce: &Pkce) -> String {
    let state = random_state();
    let url =
        authorize_url(&setup.sim.base_url(), &setup.client_id, REDIRECT_URI, &SCOPES, &state, pkce);
    let (_, query) = consent(&setup.sim, &url, "vigil-admin", "authorize").await;
    assert_eq!(query["state"], state);
    query["code"].clone()
}

async fn token_set(setup: &OAuthSetup) -> TokenSet {
    let pkce = Pkce::generate();
    let code = authorized_code(setup, &pkce).await;
    setup.oauth.exchange_code(&code, REDIRECT_URI, &pkce.verifier).await.unwrap()
}

fn api(setup: &OAuthSetup, set: &TokenSet) -> Client {
    Client::new(&setup.sim.base_url(), set.access_token.clone(), ClientSettings::default()).unwrap()
}

fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis(),
    )
    .unwrap()
}

/// No error or `Debug` output contains a secret.
fn assert_no_secret(error: &GitLabError, secrets: &[&str]) {
    let shown = format!("{error} {error:?}");
    for secret in secrets {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[tokio::test]
async fn the_full_flow_gives_a_token_the_api_accepts() {
    let setup = setup().await;
    let pkce = Pkce::generate();
    let state = random_state();
    let url = authorize_url(
        &setup.sim.base_url(),
        &setup.client_id,
        REDIRECT_URI,
        &SCOPES,
        &state,
        &pkce,
    );
    let (html, query) = consent(&setup.sim, &url, "vigil-admin", "authorize").await;
    assert!(html.contains("Authorize <strong>Vigil Security</strong>"), "{html}");
    assert!(html.contains("read_user"));
    assert_eq!(query["state"], state);

    let before = now_ms();
    let set =
        setup.oauth.exchange_code(&query["code"], REDIRECT_URI, &pkce.verifier).await.unwrap();
    assert_eq!(set.scopes, SCOPES);
    // created_at is whole seconds: up to one second before `before`.
    let lifetime = set.expires_at_ms - before;
    assert!((7_199_000..=7_201_000).contains(&lifetime), "{lifetime}");
    assert!(!needs_refresh(set.expires_at_ms, now_ms(), DEFAULT_REFRESH_MARGIN_MS));
    let debug = format!("{set:?}");
    assert!(!debug.contains(set.access_token.expose_secret()));
    assert!(!debug.contains(set.refresh_token.expose_secret()));

    let user = api(&setup, &set).current_user().await.unwrap();
    assert_eq!(user.username, "vigil-admin");
    assert_eq!(setup.sim.oauth_code_exchange_count(), 1);
}

#[tokio::test]
async fn a_wrong_verifier_is_an_invalid_grant() {
    let setup = setup().await;
    let pkce = Pkce::generate();
    let code = authorized_code(&setup, &pkce).await;
    let other = Pkce::generate();
    let error = setup.oauth.exchange_code(&code, REDIRECT_URI, &other.verifier).await.unwrap_err();
    assert_eq!(error.oauth_error(), Some("invalid_grant"), "{error}");
    assert_eq!(error.status(), Some(400));
    assert!(error.to_string().starts_with("POST /oauth/token: GitLab refused the OAuth request"));
    assert_no_secret(&error, &[&code, &other.verifier, &pkce.verifier, &setup.client_secret]);
    // The right verifier still works: a failed attempt does not use the code.
    setup.oauth.exchange_code(&code, REDIRECT_URI, &pkce.verifier).await.unwrap();
}

#[tokio::test]
async fn redirect_uris_must_match_exactly() {
    let setup = setup().await;
    let pkce = Pkce::generate();
    // At the authorize step GitLab shows an error page instead of sending
    // the browser to an unregistered URI.
    for wrong in [
        "https://vigil.example/oauth/gitlab/callback/",
        "https://evil.example/oauth/gitlab/callback",
        "https://vigil.example/oauth/gitlab/callback?x=1",
    ] {
        let url =
            authorize_url(&setup.sim.base_url(), &setup.client_id, wrong, &SCOPES, "s", &pkce);
        let answer = browser().get(format!("{url}&sim_user=vigil-admin")).send().await.unwrap();
        assert_eq!(answer.status(), 400, "{wrong}");
        assert!(answer.headers().get(reqwest::header::LOCATION).is_none());
        assert!(answer.text().await.unwrap().contains("redirect uri"));
    }
    // At the exchange, a different redirect_uri than the authorize
    // request's is an invalid grant.
    let code = authorized_code(&setup, &pkce).await;
    let error = setup
        .oauth
        .exchange_code(&code, "https://vigil.example/oauth/gitlab/callback/", &pkce.verifier)
        .await
        .unwrap_err();
    assert_eq!(error.oauth_error(), Some("invalid_grant"));
}

#[tokio::test]
async fn pkce_is_s256_only_and_its_verifier_required() {
    let setup = setup().await;
    let pkce = Pkce::generate();
    let url =
        authorize_url(&setup.sim.base_url(), &setup.client_id, REDIRECT_URI, &SCOPES, "st", &pkce)
            .replace("code_challenge_method=S256", "code_challenge_method=plain");
    let answer = browser().get(format!("{url}&sim_user=vigil-admin")).send().await.unwrap();
    assert_eq!(answer.status(), 302, "a valid redirect URI gets the error");
    let query = query_of(&location(&answer));
    assert_eq!((query["error"].as_str(), query["state"].as_str()), ("invalid_request", "st"));

    let code = authorized_code(&setup, &pkce).await;
    let error = setup.oauth.exchange_code(&code, REDIRECT_URI, "").await.unwrap_err();
    assert!(error.oauth_error().is_some_and(|code| code.starts_with("invalid_")), "{error}");
}

#[tokio::test]
async fn a_code_works_once_and_for_ten_minutes() {
    let setup = setup().await;
    let pkce = Pkce::generate();
    let code = authorized_code(&setup, &pkce).await;
    setup.oauth.exchange_code(&code, REDIRECT_URI, &pkce.verifier).await.unwrap();
    let error = setup.oauth.exchange_code(&code, REDIRECT_URI, &pkce.verifier).await.unwrap_err();
    assert_eq!(error.oauth_error(), Some("invalid_grant"));

    let late = authorized_code(&setup, &pkce).await;
    setup.sim.expire_authorization_codes();
    let error = setup.oauth.exchange_code(&late, REDIRECT_URI, &pkce.verifier).await.unwrap_err();
    assert_eq!(error.oauth_error(), Some("invalid_grant"));
}

#[tokio::test]
async fn the_client_secret_is_required() {
    let setup = setup().await;
    let pkce = Pkce::generate();
    let code = authorized_code(&setup, &pkce).await;
    let impostor = OAuthClient::new(
        &setup.sim.base_url(),
        &setup.client_id,
        vigil_gitlab::Token::new("gloas-wrong"),
        &ClientSettings::default(),
    )
    .unwrap();
    let error = impostor.exchange_code(&code, REDIRECT_URI, &pkce.verifier).await.unwrap_err();
    assert_eq!((error.oauth_error(), error.status()), (Some("invalid_client"), Some(401)));
    assert_no_secret(&error, &["gloas-wrong", &code]);
}

#[tokio::test]
async fn deny_redirects_with_access_denied() {
    let setup = setup().await;
    let pkce = Pkce::generate();
    let url =
        authorize_url(&setup.sim.base_url(), &setup.client_id, REDIRECT_URI, &SCOPES, "st", &pkce);
    let (_, query) = consent(&setup.sim, &url, "vigil-admin", "deny").await;
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["state"], "st");
    assert!(!query.contains_key("code"));
}

#[tokio::test]
async fn signing_in_first_then_consenting_with_the_session_cookie() {
    let setup = setup().await;
    let pkce = Pkce::generate();
    let url =
        authorize_url(&setup.sim.base_url(), &setup.client_id, REDIRECT_URI, &SCOPES, "st", &pkce);
    let browser = browser();
    let answer = browser.get(&url).send().await.unwrap();
    assert_eq!(answer.status(), 302, "not signed in: to the sign-in page");
    let sign_in = location(&answer);
    assert!(sign_in.starts_with("/users/sign_in?redirect_to=%2Foauth%2Fauthorize%3F"), "{sign_in}");
    let answer = browser
        .get(format!("{}{sign_in}&sim_user=vigil-admin", setup.sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);
    let cookie = answer.headers()[reqwest::header::SET_COOKIE].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let back = location(&answer);
    assert!(back.starts_with("/oauth/authorize?"), "{back}");
    let page = browser
        .get(format!("{}{back}", setup.sim.base_url()))
        .header(reqwest::header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Signed in as vigil-admin"));
}

#[tokio::test]
async fn a_refresh_rotates_both_tokens_at_once() {
    let setup = setup().await;
    let old = token_set(&setup).await;
    let new = setup.oauth.refresh(&old.refresh_token).await.unwrap();
    assert_ne!(new.access_token, old.access_token);
    assert_ne!(new.refresh_token, old.refresh_token);
    assert_eq!(new.scopes, SCOPES);
    assert_eq!(setup.sim.oauth_refresh_count(), 1);

    let error = api(&setup, &old).current_user().await.unwrap_err();
    assert!(error.is_token_revoked() && !error.is_token_expired(), "{error}");
    assert_eq!(error.status(), Some(401));
    let error = setup.oauth.refresh(&old.refresh_token).await.unwrap_err();
    assert_eq!(error.oauth_error(), Some("invalid_grant"));
    assert!(error.is_token_revoked(), "a dead refresh token means reconnecting");
    assert_no_secret(&error, &[old.refresh_token.expose_secret(), &setup.client_secret]);

    assert_eq!(api(&setup, &new).current_user().await.unwrap().username, "vigil-admin");
    let newer = setup.oauth.refresh(&new.refresh_token).await.unwrap();
    assert_eq!(api(&setup, &newer).current_user().await.unwrap().username, "vigil-admin");
    assert_eq!(setup.sim.oauth_refresh_count(), 2);
}

#[tokio::test]
async fn a_refresh_is_never_retried() {
    let setup = setup().await;
    let set = token_set(&setup).await;
    let before = setup.sim.state().requests.len();
    setup.sim.inject("/oauth/token", Fault::ServerError, 1);
    let error = setup.oauth.refresh(&set.refresh_token).await.unwrap_err();
    assert_eq!(error.status(), Some(500));
    let posts = setup.sim.state().requests[before..]
        .iter()
        .filter(|request| request.starts_with("POST /oauth/token"))
        .count();
    assert_eq!(posts, 1);
    // The fault came before GitLab acted: the refresh token still works.
    setup.oauth.refresh(&set.refresh_token).await.unwrap();
}

#[tokio::test]
async fn an_expired_access_token_is_refused_as_expired() {
    let setup = setup().await;
    let set = token_set(&setup).await;
    setup.sim.expire_access_token(set.access_token.expose_secret());

    let answer = reqwest::Client::new()
        .get(format!("{}/api/v4/user", setup.sim.base_url()))
        .bearer_auth(set.access_token.expose_secret())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    let challenge = answer.headers()[reqwest::header::WWW_AUTHENTICATE].to_str().unwrap();
    assert!(challenge.starts_with("Bearer ") && challenge.contains("error=\"invalid_token\""));
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
    assert_eq!(
        body["error_description"],
        "Token is expired. You can either do re-authorization or token refresh."
    );

    let error = api(&setup, &set).current_user().await.unwrap_err();
    assert!(error.is_token_expired() && !error.is_token_revoked(), "{error}");
    assert!(error.to_string().contains("Token is expired"), "{error}");
    assert_no_secret(&error, &[set.access_token.expose_secret()]);
    let error = setup.oauth.token_info(&set.access_token).await.unwrap_err();
    assert!(error.is_token_expired(), "{error}");

    // The refresh token outlives the access token.
    let fresh = setup.oauth.refresh(&set.refresh_token).await.unwrap();
    assert_eq!(api(&setup, &fresh).current_user().await.unwrap().username, "vigil-admin");
}

#[tokio::test]
async fn short_lived_tokens_need_refreshing_and_then_expire() {
    let setup = setup().await;
    setup.sim.set_access_token_lifetime(Duration::from_secs(1));
    let set = token_set(&setup).await;
    assert!(set.expires_at_ms - now_ms() <= 1000);
    assert!(needs_refresh(set.expires_at_ms, now_ms(), DEFAULT_REFRESH_MARGIN_MS));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(needs_refresh(set.expires_at_ms, now_ms(), 0));
    assert!(api(&setup, &set).current_user().await.unwrap_err().is_token_expired());
}

#[tokio::test]
async fn revoking_either_token_revokes_the_pair() {
    let setup = setup().await;
    let set = token_set(&setup).await;
    setup.oauth.revoke(set.access_token.expose_secret()).await.unwrap();
    let error = api(&setup, &set).current_user().await.unwrap_err();
    assert!(error.is_token_revoked(), "{error}");
    let error = setup.oauth.refresh(&set.refresh_token).await.unwrap_err();
    assert_eq!(error.oauth_error(), Some("invalid_grant"));

    let set = token_set(&setup).await;
    setup.oauth.revoke(set.refresh_token.expose_secret()).await.unwrap();
    assert!(api(&setup, &set).current_user().await.unwrap_err().is_token_revoked());
    // Revoking again, or an unknown token, is not an error (RFC 7009).
    setup.oauth.revoke(set.refresh_token.expose_secret()).await.unwrap();
    setup.oauth.revoke("no-such-token").await.unwrap();
}

#[tokio::test]
async fn token_info_lists_scopes_as_an_array() {
    let setup = setup().await;
    let set = token_set(&setup).await;
    let info = setup.oauth.token_info(&set.access_token).await.unwrap();
    assert_eq!(info.scopes, SCOPES);
    assert_eq!(info.application_uid.as_deref(), Some(setup.client_id.as_str()));
    let user = api(&setup, &set).current_user().await.unwrap();
    assert_eq!(info.resource_owner_id, Some(user.id));
    let left = info.expires_in_s.unwrap();
    assert!((7100..=7200).contains(&left), "{left}");

    // The raw answer: `scope` an array, the deprecated aliases present.
    let raw: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/oauth/token/info", setup.sim.base_url()))
        .bearer_auth(set.access_token.expose_secret())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(raw["scope"], serde_json::json!(["api", "read_user"]));
    assert_eq!(raw["scopes"], raw["scope"]);
    assert!(raw["expires_in_seconds"].is_i64() && raw["created_at"].is_i64(), "{raw}");
}
