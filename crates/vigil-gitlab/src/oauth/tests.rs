//! PKCE, the authorize URL, the refresh rule and the parsing of GitLab's
//! recorded OAuth answers (../shared/fixtures/gitlab/api/oauth-*.json).

use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/gitlab/api")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn pkce_matches_rfc_7636_appendix_b() {
    let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    assert_eq!(pkce.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

#[test]
fn generated_pkce_and_state_are_unreserved_random_and_long_enough() {
    let unreserved = |text: &str| {
        text.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"-._~".contains(&byte))
    };
    let first = Pkce::generate();
    let second = Pkce::generate();
    assert!((43..=128).contains(&first.verifier.len()), "{}", first.verifier.len());
    assert!(unreserved(&first.verifier) && unreserved(&first.challenge));
    assert_eq!(first.challenge.len(), 43, "a SHA-256 in base64url without padding");
    assert_eq!(Pkce::from_verifier(first.verifier.clone()), first);
    assert_ne!(first.verifier, second.verifier);
    let state = random_state();
    assert!(state.len() >= 43 && unreserved(&state));
    assert_ne!(state, random_state());
    assert!(!format!("{first:?}").contains(&first.verifier));
}

#[test]
fn authorize_url_percent_encodes_every_value() {
    let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    let url = authorize_url(
        "https://gitlab.example.com/",
        "app id",
        "https://vigil.example/oauth/callback?instance=1&x=é",
        &["api", "read_user"],
        "s/t+a=te",
        &pkce,
    );
    assert_eq!(
        url,
        "https://gitlab.example.com/oauth/authorize?client_id=app%20id\
         &redirect_uri=https%3A%2F%2Fvigil.example%2Foauth%2Fcallback%3Finstance%3D1%26x%3D%C3%A9\
         &response_type=code&state=s%2Ft%2Ba%3Dte&scope=api%20read_user\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    );
}

#[test]
fn needs_refresh_before_the_margin() {
    let check = |expires_at_ms: i64, now_ms: i64, margin_ms: i64, expected: bool| {
        assert_eq!(
            needs_refresh(expires_at_ms, now_ms, margin_ms),
            expected,
            "expires {expires_at_ms}, now {now_ms}, margin {margin_ms}"
        );
    };
    let hour = 3_600_000;
    check(10 * hour, 9 * hour, DEFAULT_REFRESH_MARGIN_MS, false);
    check(10 * hour, 10 * hour - DEFAULT_REFRESH_MARGIN_MS - 1, DEFAULT_REFRESH_MARGIN_MS, false);
    check(10 * hour, 10 * hour - DEFAULT_REFRESH_MARGIN_MS, DEFAULT_REFRESH_MARGIN_MS, true);
    check(10 * hour, 11 * hour, DEFAULT_REFRESH_MARGIN_MS, true);
    check(10 * hour, 10 * hour, 0, true);
    check(i64::MAX, i64::MAX - 1, DEFAULT_REFRESH_MARGIN_MS, true);
    check(i64::MAX, 10 * hour, DEFAULT_REFRESH_MARGIN_MS, false);
}

#[test]
fn token_answers_parse_as_gitlab_documents_them() {
    // Lower-case `bearer`, no `scope`: the documented answers.
    let set = parse_token_set("POST /oauth/token", &fixture("oauth-token.json"), 0).unwrap();
    assert_eq!(
        set.access_token.expose_secret(),
        "de6780bc506a0446309bd9362820ba8aed28aa506c71eedbe1c5c4f9dd350e54"
    );
    assert_eq!(set.expires_at_ms, (1_607_635_748 + 7200) * 1000);
    assert!(set.scopes.is_empty());
    let debug = format!("{set:?}");
    assert!(!debug.contains("de6780bc") && !debug.contains("8257e65c"), "{debug}");

    let set =
        parse_token_set("POST /oauth/token", &fixture("oauth-token-refresh.json"), 0).unwrap();
    assert_eq!(set.expires_at_ms, (1_628_711_391 + 7200) * 1000);

    // The password grant has no refresh token: useless to Vigil.
    let error =
        parse_token_set("POST /oauth/token", &fixture("oauth-token-password-grant.json"), 0)
            .unwrap_err();
    assert!(error.to_string().contains("no refresh_token"), "{error}");

    let body = br#"{"access_token":"a","token_type":"Bearer","expires_in":7200,"refresh_token":"r","scope":"api read_user","created_at":100}"#;
    let set = parse_token_set("POST /oauth/token", body, 0).unwrap();
    assert_eq!(set.scopes, ["api", "read_user"]);
    assert_eq!(set.expires_at_ms, 7_300_000);
    let body = br#"{"access_token":"a","token_type":"mac","refresh_token":"r"}"#;
    assert!(parse_token_set("POST /oauth/token", body, 0).is_err());
    let body = br#"{"access_token":"a","token_type":"BEARER","refresh_token":"r"}"#;
    let set = parse_token_set("POST /oauth/token", body, 5).unwrap();
    assert_eq!(set.expires_at_ms, i64::MAX, "no expires_in: never expires");
}

#[test]
fn malformed_answers_never_quote_the_body() {
    let body = br#"{"access_token":"glpat-secretvalue","token_type":"bearer","expires_in":"glpat-secretvalue"}"#;
    let error = parse_token_set("POST /oauth/token", body, 0).unwrap_err();
    assert!(!error.to_string().contains("secretvalue"), "{error}");
    assert!(error.to_string().starts_with("POST /oauth/token: "), "{error}");
}

#[test]
fn token_info_scope_is_an_array() {
    let info =
        parse_token_info("GET /oauth/token/info", &fixture("oauth-token-info.json")).unwrap();
    assert_eq!(
        info,
        TokenInfo {
            resource_owner_id: Some(1),
            scopes: vec!["api".to_owned()],
            expires_in_s: None,
            application_uid: Some(
                "1cb242f495280beb4291e64bee2a17f330902e499882fe8e1e2aa875519cab33".to_owned()
            ),
            created_at_s: Some(1_575_890_427),
        }
    );
}
