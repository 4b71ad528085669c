//! The HTTP side: one `reqwest::Client`, a bearer token, and the request
//! loop with retries, rate limits and pagination.

use std::fmt;
use std::time::Duration;

use rand::Rng as _;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::error_message;
use crate::{GitLabError, MAINTAINER_ACCESS, Project, ProjectHook, User, Version};

/// An access token; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Token {
        Token(token.into())
    }

    /// The token itself, for sending it to GitLab or storing it encrypted;
    /// never for a log line or an error.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The wait a [`GitLabError::RateLimited`] names when GitLab's 429 said
/// none (after the client's own short backoffs): the job queue waits this
/// long instead of a worker.
pub const UNSAID_RETRY_AFTER_S: u64 = 60;

/// How the client behaves.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Per-request timeout: connecting, and for API calls the whole
    /// exchange; for downloads streamed to disk (archives, raw files) the
    /// longest silence between two reads, so a large archive may take as
    /// long as its bytes keep coming.
    pub timeout: Duration,
    /// Attempts for idempotent requests (1 = no retry).
    pub attempts: u32,
    /// First backoff after a failure; doubles, with full jitter.
    pub backoff: Duration,
    /// Longest `Retry-After` the client waits itself; longer ones are
    /// returned as [`GitLabError::RateLimited`] for the job queue to retry.
    pub max_retry_after: Duration,
    /// Send every request through a Transporter instead of straight to
    /// GitLab.
    pub via: Option<Via>,
    /// The largest API answer read (downloads have their own limits);
    /// larger ones fail with [`GitLabError::TooLarge`].
    pub max_answer_bytes: u64,
}

/// A Transporter route: URLs under the instance's base URL are sent to
/// `url` instead (the hub's forward endpoint for one transporter), with one
/// extra header proving the caller to the hub.
#[derive(Clone)]
pub struct Via {
    /// Replaces the instance's base URL, e.g. `http://127.0.0.1:4100/t/3`.
    pub url: String,
    /// Header name and value sent with every request.
    pub header: (String, String),
}

impl fmt::Debug for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Via").field("url", &self.url).field("header", &self.header.0).finish()
    }
}

/// `url` as it is sent: through the Transporter when `settings` say so
/// (GitLab's own absolute URLs, like pagination links, included).
pub(crate) fn routed(settings: &ClientSettings, base_url: &str, url: &str) -> String {
    match (&settings.via, url.strip_prefix(base_url.trim_end_matches('/'))) {
        (Some(via), Some(rest)) => format!("{}{rest}", via.url.trim_end_matches('/')),
        _ => url.to_owned(),
    }
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            timeout: Duration::from_secs(30),
            attempts: 4,
            backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(60),
            via: None,
            max_answer_bytes: 32 << 20,
        }
    }
}

/// Events a Vigil project hook subscribes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HookEvents {
    /// Pushes.
    pub push: bool,
    /// Merge requests.
    pub merge_requests: bool,
    /// Comments.
    pub notes: bool,
}

impl HookEvents {
    /// What Vigil needs: pushes, merge requests and notes.
    pub const VIGIL: HookEvents = HookEvents { push: true, merge_requests: true, notes: true };
}

/// Renews an access token GitLab says has expired (for OAuth, a refresh
/// with the refresh token). A client that has one renews at most once per
/// call and sends the call again with the new token, which every clone of
/// the client uses from then on.
pub trait TokenRenewal: Send + Sync + fmt::Debug {
    /// The token to use instead of `expired`, or why there is none (the
    /// refresh was refused: the call fails with that error).
    fn renew(
        &self,
        expired: Token,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Token, GitLabError>> + Send + '_>>;
}

/// A client for one GitLab instance and one token.
#[derive(Debug, Clone)]
pub struct Client {
    /// Built with [`Deadline::Idle`]; API calls add the whole-exchange
    /// deadline per request.
    http: reqwest::Client,
    base_url: String,
    /// Shared by clones, so a renewed token serves them all.
    token: std::sync::Arc<std::sync::RwLock<Token>>,
    renewal: Option<std::sync::Arc<dyn TokenRenewal>>,
    settings: ClientSettings,
    /// No request before this time: GitLab said the quota is used up
    /// (`RateLimit-Remaining: 0` until `RateLimit-Reset`). Shared by clones.
    not_before: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

/// One answer: status, headers, body.
pub(crate) struct Answer {
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Vec<u8>,
}

fn idempotent(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE)
}

/// `<url>; rel="next"` from a `Link` header.
fn next_link(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let link = headers.get(reqwest::header::LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, params) = part.trim().split_once(';')?;
        params
            .contains("rel=\"next\"")
            .then(|| url.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
    })
}

/// How long a call may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deadline {
    /// The whole exchange, body included, within the settings' timeout.
    Whole,
    /// Connected within the timeout, then no silence longer than it
    /// between reads, however long the body takes.
    Idle,
}

/// The HTTP stack every call to GitLab goes through (API and OAuth):
/// the settings' timeout as `deadline` says, Vigil's user agent, no
/// redirects.
pub(crate) fn http_client(
    base_url: &str,
    settings: &ClientSettings,
    deadline: Deadline,
) -> Result<reqwest::Client, GitLabError> {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(via) = &settings.via {
        let name = reqwest::header::HeaderName::from_bytes(via.header.0.as_bytes());
        let value = reqwest::header::HeaderValue::from_str(&via.header.1);
        if let (Ok(name), Ok(mut value)) = (name, value) {
            value.set_sensitive(true);
            headers.insert(name, value);
        }
    }
    let builder = reqwest::Client::builder()
        .default_headers(headers)
        .connect_timeout(settings.timeout)
        .read_timeout(settings.timeout);
    let builder = match deadline {
        Deadline::Whole => builder.timeout(settings.timeout),
        Deadline::Idle => builder,
    };
    builder
        .user_agent(concat!("vigil/", env!("CARGO_PKG_VERSION")))
        // Redirects to another host would carry the token there.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|error| GitLabError::Transport {
            endpoint: base_url.to_owned(),
            reason: error.to_string(),
        })
}

impl Client {
    /// A client for the instance at `base_url` (`https://gitlab.example.com`).
    pub fn new(
        base_url: &str,
        token: Token,
        settings: ClientSettings,
    ) -> Result<Client, GitLabError> {
        let http = http_client(base_url, &settings, Deadline::Idle)?;
        Ok(Client {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: std::sync::Arc::new(std::sync::RwLock::new(token)),
            renewal: None,
            settings,
            not_before: std::sync::Arc::default(),
        })
    }

    /// The client renews its token with `renewal` when GitLab says it
    /// expired.
    pub fn with_renewal(mut self, renewal: std::sync::Arc<dyn TokenRenewal>) -> Client {
        self.renewal = Some(renewal);
        self
    }

    /// The instance's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The access token in use (the renewed one after a renewal).
    fn token(&self) -> Token {
        self.token
            .read()
            .map_or_else(|poisoned| poisoned.into_inner().clone(), |token| token.clone())
    }

    /// Sends one request (with retries when idempotent) to `url` and
    /// returns the successful response, body unread; the whole exchange
    /// must end within the timeout.
    pub(crate) async fn request(
        &self,
        method: Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<reqwest::Response, GitLabError> {
        self.exchange(method, url, body, Deadline::Whole).await
    }

    /// A GET whose body is streamed to disk (archives, raw files): it may
    /// take as long as the bytes keep coming ([`Deadline::Idle`]).
    pub(crate) async fn download(&self, url: &str) -> Result<reqwest::Response, GitLabError> {
        self.exchange(Method::GET, url, None, Deadline::Idle).await
    }

    async fn exchange(
        &self,
        method: Method,
        url: &str,
        body: Option<&serde_json::Value>,
        deadline: Deadline,
    ) -> Result<reqwest::Response, GitLabError> {
        let endpoint = self.endpoint(&method, url);
        let attempts = if idempotent(&method) { self.settings.attempts.max(1) } else { 1 };
        let mut attempt = 0;
        let mut renewed = false;
        loop {
            attempt += 1;
            self.wait_for_quota().await;
            let target = routed(&self.settings, &self.base_url, url);
            let token = self.token();
            let mut request =
                self.http.request(method.clone(), &target).bearer_auth(token.expose_secret());
            if deadline == Deadline::Whole {
                request = request.timeout(self.settings.timeout);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let retry_in = match request.send().await {
                Err(error) => {
                    let reason = if error.is_timeout() {
                        format!("no answer within {} s", self.settings.timeout.as_secs())
                    } else {
                        // Without the URL: the endpoint is already named.
                        error.without_url().to_string()
                    };
                    if attempt >= attempts {
                        return Err(GitLabError::Transport { endpoint, reason });
                    }
                    self.backoff(attempt)
                }
                Ok(response) if response.status().is_success() => {
                    self.note_quota(response.headers());
                    return Ok(response);
                }
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    self.note_quota(&headers);
                    let body = crate::body::read_error(response, self.settings.timeout).await;
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        let stated = headers
                            .get(reqwest::header::RETRY_AFTER)
                            .and_then(|value| value.to_str().ok())
                            .and_then(|value| value.trim().parse::<u64>().ok());
                        match stated {
                            // No wait said: the usual short backoff here, then
                            // the caller's queue waits a minute; a worker is
                            // never held for a guessed minute.
                            None if attempt >= attempts => {
                                return Err(GitLabError::RateLimited {
                                    endpoint,
                                    retry_after_s: UNSAID_RETRY_AFTER_S,
                                });
                            }
                            None => {
                                tracing::debug!(%endpoint, "GitLab rate limit without Retry-After; backing off");
                                self.backoff(attempt)
                            }
                            Some(retry_after_s) => {
                                let wait = Duration::from_secs(retry_after_s);
                                if attempt >= attempts || wait > self.settings.max_retry_after {
                                    return Err(GitLabError::RateLimited {
                                        endpoint,
                                        retry_after_s,
                                    });
                                }
                                tracing::debug!(%endpoint, retry_after_s, "GitLab rate limit; waiting");
                                wait
                            }
                        }
                    } else if status.is_server_error() && attempt < attempts {
                        self.backoff(attempt)
                    } else {
                        let message = error_message(&body);
                        if status == StatusCode::UNAUTHORIZED
                            || (status == StatusCode::FORBIDDEN
                                && message.contains("insufficient_scope"))
                        {
                            let refused = GitLabError::Unauthorized {
                                endpoint: endpoint.clone(),
                                status: status.as_u16(),
                                reason: message,
                            };
                            // An expired token (GitLab's clock ran ahead of
                            // ours): renew once and send the call again.
                            match &self.renewal {
                                Some(renewal) if refused.is_token_expired() && !renewed => {
                                    renewed = true;
                                    let fresh = renewal.renew(token).await?;
                                    if let Ok(mut current) = self.token.write() {
                                        *current = fresh;
                                    }
                                    tracing::info!(%endpoint, "access token renewed after GitLab said it expired");
                                    continue;
                                }
                                _ => return Err(refused),
                            }
                        }
                        return Err(GitLabError::Api {
                            endpoint,
                            status: status.as_u16(),
                            message,
                        });
                    }
                }
            };
            tokio::time::sleep(retry_in).await;
        }
    }

    /// Remembers a used-up quota: `RateLimit-Remaining: 0` with
    /// `RateLimit-Reset` (Unix seconds); waits longer than the settings'
    /// `max_retry_after` are capped to it.
    fn note_quota(&self, headers: &reqwest::header::HeaderMap) {
        let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
        if number("ratelimit-remaining") != Some(0) {
            return;
        }
        let Some(reset) = number("ratelimit-reset") else { return };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        let wait =
            Duration::from_secs(reset.saturating_sub(now)).min(self.settings.max_retry_after);
        if let Ok(mut not_before) = self.not_before.lock() {
            *not_before = Some(std::time::Instant::now() + wait);
        }
    }

    /// Sleeps until a used-up quota has reset.
    async fn wait_for_quota(&self) {
        let until = self.not_before.lock().ok().and_then(|guard| *guard);
        if let Some(until) = until {
            let now = std::time::Instant::now();
            if until > now {
                tracing::debug!(
                    wait_ms = (until - now).as_millis() as u64,
                    "GitLab quota used up; waiting for its reset"
                );
                tokio::time::sleep(until - now).await;
            }
        }
    }

    /// A body that could not be read to its end, with the reason (a
    /// stalled download names the silence it outlasted).
    pub(crate) fn body_error(
        &self,
        endpoint: &str,
        deadline: Deadline,
        error: reqwest::Error,
    ) -> GitLabError {
        let millis = self.settings.timeout.as_millis();
        let reason = if error.is_timeout() {
            match deadline {
                Deadline::Idle => format!("the download stalled: no bytes for {millis} ms"),
                Deadline::Whole => format!("no complete answer within {millis} ms"),
            }
        } else {
            crate::probe::source_chain(&error.without_url())
        };
        GitLabError::Transport { endpoint: endpoint.to_owned(), reason }
    }

    /// `GET /api/v4/projects` for `…/api/v4/projects?x=1`.
    pub(crate) fn endpoint(&self, method: &Method, url: &str) -> String {
        let path = url.strip_prefix(&self.base_url).unwrap_or(url);
        format!("{method} {}", path.split('?').next().unwrap_or(path))
    }

    /// [`request`](Client::request), with the body read.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, GitLabError> {
        let endpoint = self.endpoint(&method, url);
        let response = self.request(method, url, body).await?;
        let headers = response.headers().clone();
        let body = crate::body::read_capped(
            response,
            self.settings.max_answer_bytes,
            &endpoint,
            |error| self.body_error(&endpoint, Deadline::Whole, error),
        )
        .await?;
        Ok(Answer { headers, body })
    }

    /// `url` (a link GitLab returned) if it is on this instance: same
    /// scheme, host, port and path prefix as the base URL. Anything else
    /// is refused, so the token never goes to another host.
    pub(crate) fn on_instance(&self, endpoint: &str, url: &str) -> Result<String, GitLabError> {
        let off =
            || GitLabError::OffInstance { endpoint: endpoint.to_owned(), url: url.to_owned() };
        let (Ok(base), Ok(link)) = (reqwest::Url::parse(&self.base_url), reqwest::Url::parse(url))
        else {
            return Err(off());
        };
        let prefix = format!("{}/api/v4/", base.path().trim_end_matches('/'));
        let same = link.scheme() == base.scheme()
            && link.host_str() == base.host_str()
            && link.port_or_known_default() == base.port_or_known_default()
            && link.username().is_empty()
            && link.password().is_none()
            && link.path().starts_with(&prefix);
        if same { Ok(link.to_string()) } else { Err(off()) }
    }

    /// Full jitter: a random wait up to `backoff × 2^(attempt−1)`.
    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.settings.backoff.saturating_mul(1 << attempt.saturating_sub(1).min(10));
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX).max(1);
        Duration::from_millis(rand::thread_rng().gen_range(0..=millis))
    }

    pub(crate) fn url(&self, path_and_query: &str) -> String {
        format!("{}/api/v4{path_and_query}", self.base_url)
    }

    pub(crate) fn decode<T: DeserializeOwned>(
        endpoint: &str,
        body: &[u8],
    ) -> Result<T, GitLabError> {
        serde_json::from_slice(body).map_err(|error| GitLabError::Decode {
            endpoint: endpoint.to_owned(),
            reason: error.to_string(),
        })
    }

    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        path_and_query: &str,
    ) -> Result<T, GitLabError> {
        let answer = self.send(Method::GET, &self.url(path_and_query), None).await?;
        Self::decode(&format!("GET /api/v4{path_and_query}"), &answer.body)
    }

    /// Every item of a keyset-paginated list: follows `Link: rel="next"`
    /// until a page has no next link or is empty (a full last page still
    /// has a next link).
    async fn get_all_keyset<T: DeserializeOwned>(
        &self,
        path_and_query: &str,
    ) -> Result<Vec<T>, GitLabError> {
        let mut items = Vec::new();
        let mut url = self.url(path_and_query);
        let endpoint = self.endpoint(&Method::GET, &url);
        loop {
            let answer = self.send(Method::GET, &url, None).await?;
            let page: Vec<T> = Self::decode(&endpoint, &answer.body)?;
            let empty = page.is_empty();
            items.extend(page);
            match next_link(&answer.headers) {
                Some(next) if !empty => url = self.on_instance(&endpoint, &next)?,
                _ => return Ok(items),
            }
        }
    }

    /// Every item of an offset-paginated list: follows `x-next-page`
    /// (empty on the last page), never relying on `x-total`, which GitLab
    /// omits above 10,000 rows.
    pub(crate) async fn get_all_offset<T: DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Vec<T>, GitLabError> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut page = 1_u64;
        loop {
            let url = self.url(&format!("{path}{separator}per_page=100&page={page}"));
            let answer = self.send(Method::GET, &url, None).await?;
            let batch: Vec<T> = Self::decode(&format!("GET /api/v4{path}"), &answer.body)?;
            let empty = batch.is_empty();
            items.extend(batch);
            let next = answer
                .headers
                .get("x-next-page")
                .and_then(|value| value.to_str().ok())
                .unwrap_or("");
            match next.trim().parse::<u64>() {
                Ok(next) if next > page && !empty => page = next,
                _ => return Ok(items),
            }
        }
    }

    /// `GET /version`: the instance answers and the token works.
    pub async fn version(&self) -> Result<Version, GitLabError> {
        self.get("/version").await
    }

    /// `GET /user`: whose token this is.
    pub async fn current_user(&self) -> Result<User, GitLabError> {
        self.get("/user").await
    }

    /// Every project the token's user is Maintainer or above of, by id,
    /// with keyset pagination.
    pub async fn maintained_projects(&self) -> Result<Vec<Project>, GitLabError> {
        self.get_all_keyset(&format!(
            "/projects?membership=true&min_access_level={MAINTAINER_ACCESS}&pagination=keyset&order_by=id&sort=asc&per_page=100&simple=true"
        ))
        .await
    }

    /// One page of the projects the token's user is Maintainer or above
    /// of, by id after `after_id`, optionally matching `search` (path or
    /// name); the id to continue after, when there may be more.
    pub async fn maintained_projects_page(
        &self,
        search: Option<&str>,
        after_id: Option<u64>,
        per_page: u32,
    ) -> Result<(Vec<Project>, Option<u64>), GitLabError> {
        let per_page = per_page.clamp(1, 100);
        let mut query = format!(
            "/projects?membership=true&min_access_level={MAINTAINER_ACCESS}&pagination=keyset&order_by=id&sort=asc&per_page={per_page}&simple=true"
        );
        if let Some(search) = search.filter(|search| !search.is_empty()) {
            query.push_str("&search=");
            query.push_str(&crate::repository::encode_component(search));
        }
        if let Some(after) = after_id {
            query.push_str(&format!("&id_after={after}"));
        }
        let answer = self.send(Method::GET, &self.url(&query), None).await?;
        let page: Vec<Project> = Self::decode("GET /api/v4/projects", &answer.body)?;
        let next = next_link(&answer.headers)
            .filter(|_| page.len() == per_page as usize)
            .and_then(|_| page.last().map(|project| project.id));
        Ok((page, next))
    }

    /// How many projects `maintained_projects_page` lists in all, from
    /// GitLab's `x-total` on a one-item offset page; `None` when GitLab
    /// does not count (it stops above 10,000 rows) or says nothing usable.
    pub async fn maintained_projects_total(
        &self,
        search: Option<&str>,
    ) -> Result<Option<u64>, GitLabError> {
        let mut query = format!(
            "/projects?membership=true&min_access_level={MAINTAINER_ACCESS}&per_page=1&simple=true"
        );
        if let Some(search) = search.filter(|search| !search.is_empty()) {
            query.push_str("&search=");
            query.push_str(&crate::repository::encode_component(search));
        }
        let answer = self.send(Method::GET, &self.url(&query), None).await?;
        Ok(answer
            .headers
            .get("x-total")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse().ok()))
    }

    /// One project by id.
    pub async fn project(&self, id: u64) -> Result<Project, GitLabError> {
        self.get(&format!("/projects/{id}")).await
    }

    /// A project's hooks.
    pub async fn project_hooks(&self, project: u64) -> Result<Vec<ProjectHook>, GitLabError> {
        self.get_all_offset(&format!("/projects/{project}/hooks")).await
    }

    /// Makes sure `project` has one hook to `url` with `secret` and
    /// `events`, SSL verification on: an existing hook with the same URL is
    /// updated (GitLab never shows its token, so it is set again), not
    /// duplicated. Returns the hook and whether it was created.
    pub async fn ensure_project_hook(
        &self,
        project: u64,
        url: &str,
        secret: &Token,
        events: HookEvents,
    ) -> Result<(ProjectHook, bool), GitLabError> {
        let body = serde_json::json!({
            "url": url,
            "token": secret.0,
            "push_events": events.push,
            "merge_requests_events": events.merge_requests,
            "note_events": events.notes,
            "enable_ssl_verification": true,
        });
        let existing = self.project_hooks(project).await?.into_iter().find(|hook| hook.url == url);
        let (method, path, created) = match &existing {
            Some(hook) => (Method::PUT, format!("/projects/{project}/hooks/{}", hook.id), false),
            None => (Method::POST, format!("/projects/{project}/hooks"), true),
        };
        let answer = self.send(method.clone(), &self.url(&path), Some(&body)).await?;
        let hook = Self::decode(&format!("{method} /api/v4{path}"), &answer.body)?;
        Ok((hook, created))
    }

    /// Deletes a project hook; one that is already gone counts as deleted.
    pub async fn delete_project_hook(&self, project: u64, hook: u64) -> Result<(), GitLabError> {
        self.delete_gone_ok(&format!("/projects/{project}/hooks/{hook}")).await
    }

    /// DELETE that treats 404 (already gone) as done.
    async fn delete_gone_ok(&self, path: &str) -> Result<(), GitLabError> {
        match self.send(Method::DELETE, &self.url(path), None).await {
            Ok(_) => Ok(()),
            Err(GitLabError::Api { status: 404, .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// The instance's system hooks (administrators only).
    pub async fn system_hooks(&self) -> Result<Vec<ProjectHook>, GitLabError> {
        self.get("/hooks").await
    }

    /// A system hook to `url` with `secret`, SSL verification on, for the
    /// project events every system hook receives (`project_create`, …). An
    /// existing hook with the same URL is replaced (GitLab never shows its
    /// token, so it may be stale), never duplicated. Administrators only.
    pub async fn ensure_system_hook(
        &self,
        url: &str,
        secret: &Token,
    ) -> Result<ProjectHook, GitLabError> {
        for existing in self.system_hooks().await?.into_iter().filter(|hook| hook.url == url) {
            self.delete_system_hook(existing.id).await?;
        }
        let body = serde_json::json!({
            "url": url,
            "token": secret.0,
            "push_events": false,
            "merge_requests_events": false,
            "repository_update_events": false,
            "enable_ssl_verification": true,
        });
        let answer = self.send(Method::POST, &self.url("/hooks"), Some(&body)).await?;
        Self::decode("POST /api/v4/hooks", &answer.body)
    }

    /// Deletes a system hook; one that is already gone counts as deleted.
    pub async fn delete_system_hook(&self, hook: u64) -> Result<(), GitLabError> {
        self.delete_gone_ok(&format!("/hooks/{hook}")).await
    }
}
