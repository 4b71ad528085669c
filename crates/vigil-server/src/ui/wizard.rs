//! The onboarding wizard for GitLab Self Managed, one page per step with a
//! step indicator: Configure Domain, Register OAuth App (with the optional
//! Broker VM and Transporter applet), Set Client ID and Secret (then
//! GitLab's consent), Select Repositories (all, all and future, or chosen
//! from a searchable, paginated list), Done. Every step re-renders itself
//! with the error inline and the person's input kept when something fails.
//! Each step calls the REST API's handler for its work.

use std::collections::BTreeSet;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use serde::Deserialize;
use vigil_store::Transporter;

use super::integrations::domain;
use super::problem::Problem;
use super::{Admin, Chrome, PageResult, format, redirect, render};
use crate::AppState;
use crate::api::{instances, oauth};
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/integrations/gitlab/new", get(domain_step).post(check_domain))
        .route("/integrations/gitlab/new/oauth", get(oauth_step).post(choose_transporter))
        .route("/integrations/gitlab/new/applets", get(applets))
        .route("/integrations/gitlab/new/credentials", get(credentials_step).post(create))
        .route("/integrations/gitlab/{id}/connect", get(connect_page).post(connect))
        .route(oauth::CALLBACK_PATH, get(callback))
        .route("/integrations/gitlab/{id}/repositories", get(repositories_step).post(select))
        .route("/integrations/gitlab/{id}/done", get(done))
        .route("/integrations/gitlab/{id}/progress", get(progress))
        // The plain page of the first GitLab issue now lives here.
        .route(
            "/setup/gitlab",
            get(|| async { axum::response::Redirect::permanent("/integrations/gitlab/new") }),
        )
}

/// The step names, in order.
const STEPS: [&str; 5] = [
    "Configure Domain",
    "Register OAuth App",
    "Set Client ID and Secret",
    "Select Repositories",
    "Done",
];

/// The step indicator: each step's name and whether it is done or current.
pub(super) struct Steps {
    current: usize,
}

impl Steps {
    fn at(current: usize) -> Steps {
        Steps { current }
    }

    fn items(&self) -> impl Iterator<Item = (usize, &'static str, &'static str)> + '_ {
        STEPS.iter().enumerate().map(|(index, name)| {
            let state = match index.cmp(&self.current) {
                std::cmp::Ordering::Less => "done",
                std::cmp::Ordering::Equal => "current",
                std::cmp::Ordering::Greater => "todo",
            };
            (index + 1, *name, state)
        })
    }

    fn total(&self) -> usize {
        STEPS.len()
    }

    fn number(&self) -> usize {
        self.current + 1
    }
}

/// What the first three steps carry from one to the next.
#[derive(Debug, Default, Deserialize)]
struct Draft {
    #[serde(default)]
    base_url: String,
    #[serde(default)]
    transporter: Option<String>,
    #[serde(default)]
    closed: Option<String>,
    /// The Application ID entered before, when GitLab refused it.
    #[serde(default)]
    client_id: String,
}

impl Draft {
    fn transporter_id(&self) -> Option<i64> {
        self.transporter.as_deref().and_then(|id| id.parse().ok())
    }

    fn query(&self) -> String {
        let transporter = self.transporter_id().map(|id| id.to_string()).unwrap_or_default();
        format::query(&[("base_url", &self.base_url), ("transporter", &transporter)])
    }
}

#[derive(Template)]
#[template(path = "wizard/domain.html")]
struct DomainStep {
    chrome: Chrome,
    steps: Steps,
    base_url: String,
    error: Option<Problem>,
    closed: bool,
}

async fn domain_step(signed: Admin, Query(draft): Query<Draft>) -> Response {
    let page = DomainStep {
        chrome: signed.chrome("integrations"),
        steps: Steps::at(0),
        base_url: draft.base_url,
        error: None,
        closed: false,
    };
    render(StatusCode::OK, &page)
}

/// Why GitLab does not answer at `base_url` (directly or through
/// `transporter_id`), or nothing when it does: the API's domain check.
async fn unreachable(
    signed: &Admin,
    state: &AppState,
    base_url: &str,
    transporter_id: Option<i64>,
) -> Option<Problem> {
    let check = instances::DomainCheck { base_url: base_url.to_owned(), transporter_id };
    match instances::check_domain(signed.api_admin(), State(state.clone()), ApiJson(check)).await {
        Ok(axum::Json(result)) if result.reachable => None,
        Ok(axum::Json(result)) => Some(Problem::explained(result.summary, result.message)),
        Err(error) => Some(Problem::from_text(error.to_string())),
    }
}

/// Configure Domain: GitLab must answer at the address, unless it sits in
/// a closed network (then the next step's Transporter checks it).
async fn check_domain(
    signed: Admin,
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(draft): Form<Draft>,
) -> Response {
    let closed = draft.closed.is_some();
    let failed = |error: Problem| {
        let page = DomainStep {
            chrome: signed.chrome("integrations"),
            steps: Steps::at(0),
            base_url: draft.base_url.clone(),
            error: Some(error),
            closed,
        };
        render(StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    let base_url = match instances::parse_base_url(&draft.base_url) {
        Ok(base_url) => base_url,
        Err(error) => return failed(Problem::from_text(error.to_string())),
    };
    if !closed {
        if let Some(problem) = unreachable(&signed, &state, &base_url, None).await {
            return failed(problem.advise(
                "If this GitLab is only reachable inside a closed network, tick the box below and pick its Transporter on the next step.",
            ));
        }
    }
    let next =
        Draft { base_url, transporter: None, closed: draft.closed, client_id: String::new() };
    redirect(&headers, &format!("/integrations/gitlab/new/oauth{}", next.query()))
}

/// A Broker VM and its Transporter applets, for the menus.
struct BrokerChoice {
    id: i64,
    name: String,
    status: String,
    applet: Option<String>,
}

impl From<Transporter> for BrokerChoice {
    fn from(transporter: Transporter) -> BrokerChoice {
        BrokerChoice {
            id: transporter.id,
            name: transporter.name,
            status: transporter.status,
            applet: transporter.gitlab_url,
        }
    }
}

#[derive(Template)]
#[template(path = "wizard/oauth.html")]
struct OAuthStep {
    chrome: Chrome,
    steps: Steps,
    base_url: String,
    application: Option<oauth::OAuthApplication>,
    brokers: Vec<BrokerChoice>,
    selected_broker: Option<i64>,
    error: Option<Problem>,
}

impl OAuthStep {
    fn is_selected(&self, id: impl std::borrow::Borrow<i64>) -> bool {
        self.selected_broker == Some(*id.borrow())
    }

    fn chosen(&self) -> Option<&BrokerChoice> {
        self.brokers.iter().find(|broker| Some(broker.id) == self.selected_broker)
    }
}

async fn oauth_page(
    signed: &Admin,
    state: AppState,
    draft: &Draft,
    error: Option<Problem>,
) -> PageResult<OAuthStep> {
    let base_url = instances::parse_base_url(&draft.base_url)?;
    let query = oauth::ApplicationQuery { base_url: base_url.clone() };
    let (application, error) =
        match oauth::oauth_application(signed.api_admin(), State(state.clone()), ApiQuery(query))
            .await
        {
            Ok(axum::Json(application)) => (Some(application), error),
            Err(problem) => {
                (None, Some(error.unwrap_or_else(|| Problem::from_text(problem.to_string()))))
            }
        };
    let brokers = state.store.transporters().await?.into_iter().map(BrokerChoice::from).collect();
    Ok(OAuthStep {
        chrome: signed.chrome("integrations"),
        steps: Steps::at(1),
        base_url,
        application,
        brokers,
        selected_broker: draft.transporter_id(),
        error,
    })
}

async fn oauth_step(
    signed: Admin,
    State(state): State<AppState>,
    Query(draft): Query<Draft>,
) -> PageResult {
    let page = oauth_page(&signed, state, &draft, None).await?;
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "wizard/applets.html")]
struct AppletMenu {
    broker: Option<BrokerChoice>,
}

impl AppletMenu {
    fn chosen(&self) -> Option<&BrokerChoice> {
        self.broker.as_ref()
    }
}

/// The Transporter applet menu of the chosen Broker VM (htmx swaps it in
/// when the Broker VM menu changes).
async fn applets(
    _signed: Admin,
    State(state): State<AppState>,
    Query(draft): Query<Draft>,
) -> PageResult {
    let broker = match draft.transporter_id() {
        Some(id) => state.store.transporter(id).await?.map(BrokerChoice::from),
        None => None,
    };
    Ok(render(StatusCode::OK, &AppletMenu { broker }))
}

/// Register OAuth App, Next: with a Transporter, GitLab must answer
/// through it before the client id is asked for.
async fn choose_transporter(
    signed: Admin,
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(draft): Form<Draft>,
) -> PageResult {
    if let Some(transporter_id) = draft.transporter_id() {
        let base_url = instances::parse_base_url(&draft.base_url)?;
        let problem = unreachable(&signed, &state, &base_url, Some(transporter_id)).await;
        if let Some(problem) = problem {
            let problem = Problem {
                headline: format!("Through this Transporter: {}", problem.headline),
                ..problem
            };
            let page = oauth_page(&signed, state, &draft, Some(problem)).await?;
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    }
    Ok(redirect(&headers, &format!("/integrations/gitlab/new/credentials{}", draft.query())))
}

#[derive(Template)]
#[template(path = "wizard/credentials.html")]
struct CredentialsStep {
    chrome: Chrome,
    steps: Steps,
    base_url: String,
    transporter: String,
    client_id: String,
    client_secret: String,
    error: Option<Problem>,
}

async fn credentials_step(signed: Admin, Query(draft): Query<Draft>) -> PageResult {
    let page = CredentialsStep {
        chrome: signed.chrome("integrations"),
        steps: Steps::at(2),
        base_url: instances::parse_base_url(&draft.base_url)?,
        transporter: draft.transporter_id().map(|id| id.to_string()).unwrap_or_default(),
        client_id: draft.client_id.clone(),
        client_secret: String::new(),
        error: None,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Debug, Deserialize)]
struct Credentials {
    base_url: String,
    #[serde(default)]
    transporter: Option<String>,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
}

/// Set Client ID and Secret: adds the instance, then sends the browser to
/// GitLab's consent page.
async fn create(
    signed: Admin,
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Credentials>,
) -> Response {
    let transporter_id = form.transporter.as_deref().and_then(|id| id.parse::<i64>().ok());
    let result = async {
        if form.client_id.trim().is_empty() || form.client_secret.trim().is_empty() {
            return Err(AppError::bad_request(
                "enter both the Application ID and the Secret that GitLab showed when you saved the application",
            ));
        }
        let base_url = instances::parse_base_url(&form.base_url)?;
        // An instance of this URL that never got its tokens (a refused
        // Secret, an abandoned consent) is resumed with what was entered
        // now, not refused as a duplicate.
        if let Some(pending) = unconnected_instance(&state, &base_url).await? {
            let now = vigil_store::Queue::now_ms();
            state
                .store
                .set_instance_oauth_application(
                    pending.id,
                    form.client_id.trim(),
                    &vigil_store::SecretString::new(form.client_secret.trim()),
                    now,
                )
                .await?;
            let axum::Json(start) =
                oauth::start(signed.api_admin(), State(state), ApiPath(pending.id)).await?;
            return Ok(start.authorize_url);
        }
        let new = instances::CreateInstance {
            name: domain(&base_url).to_owned(),
            base_url,
            client_id: Some(form.client_id.trim().to_owned()),
            client_secret: Some(form.client_secret.trim().to_owned()),
            transporter_id,
            scan_interval_s: None,
            access_token: None,
        };
        let (_, axum::Json(instance)) =
            instances::create_instance(signed.api_admin(), State(state.clone()), ApiJson(new)).await?;
        let axum::Json(start) = oauth::start(signed.api_admin(), State(state), ApiPath(instance.id)).await?;
        Ok(start.authorize_url)
    }
    .await;
    match result {
        Ok(authorize_url) => redirect(&headers, &authorize_url),
        Err(error) => {
            let page = CredentialsStep {
                chrome: signed.chrome("integrations"),
                steps: Steps::at(2),
                base_url: form.base_url,
                transporter: transporter_id.map(|id| id.to_string()).unwrap_or_default(),
                client_id: form.client_id,
                client_secret: form.client_secret,
                error: Some(Problem::from_text(error.to_string())),
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// The instance of `base_url` that has no access token yet, if any.
async fn unconnected_instance(
    state: &AppState,
    base_url: &str,
) -> Result<Option<vigil_store::Instance>, AppError> {
    for instance in state.store.instances().await? {
        if instance.base_url.trim_end_matches('/') == base_url.trim_end_matches('/')
            && instance.oauth_client_id.is_some()
            && state.store.instance_secret(instance.id, "access_token_enc").await?.is_none()
        {
            return Ok(Some(instance));
        }
    }
    Ok(None)
}

#[derive(Template)]
#[template(path = "wizard/callback_error.html")]
struct CallbackError {
    chrome: Chrome,
    steps: Steps,
    problem: Problem,
    /// The way out: (link, label).
    next: (String, &'static str),
}

/// GitLab sends the browser back here after the consent: on success on to
/// Select Repositories; otherwise a page in the app's frame that says what
/// went wrong and offers the way out (enter the ID and Secret again when
/// GitLab refused them, else the consent again, else a new start).
async fn callback(
    signed: Admin,
    State(state): State<AppState>,
    Query(query): Query<oauth::CallbackQuery>,
) -> PageResult {
    let failure = match oauth::finish(&state, &signed.caller, &query).await {
        Ok(id) => {
            return Ok(axum::response::Redirect::to(&format!(
                "/integrations/gitlab/{id}/repositories"
            ))
            .into_response());
        }
        Err(failure) => failure,
    };
    let instance = match failure.instance_id {
        Some(id) => state.store.instance(id).await?,
        None => None,
    };
    let next = match &instance {
        Some(instance) if failure.bad_credentials => {
            let transporter = instance.transporter_id.map(|id| id.to_string()).unwrap_or_default();
            let client_id = instance.oauth_client_id.clone().unwrap_or_default();
            (
                format!(
                    "/integrations/gitlab/new/credentials{}",
                    format::query(&[
                        ("base_url", &instance.base_url),
                        ("transporter", &transporter),
                        ("client_id", &client_id),
                    ])
                ),
                "Enter the ID and Secret again",
            )
        }
        Some(instance) => (format!("/integrations/gitlab/{}/connect", instance.id), "Try again"),
        None => ("/integrations/gitlab/new".to_owned(), "Start again"),
    };
    let page = CallbackError {
        chrome: signed.chrome("integrations"),
        steps: Steps::at(2),
        problem: Problem::from_text(failure.message),
        next,
    };
    Ok(render(StatusCode::BAD_REQUEST, &page))
}

#[derive(Template)]
#[template(path = "wizard/connect.html")]
struct ConnectPage {
    chrome: Chrome,
    id: i64,
    domain: String,
}

/// The page a link (Reconnect, Try again) opens: it changes nothing and
/// asks for the click that posts, with the CSRF token, to [`connect`].
async fn connect_page(
    signed: Admin,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> PageResult {
    let instance =
        state.store.instance(id).await?.ok_or_else(|| AppError::not_found("instance"))?;
    let page = ConnectPage { chrome: signed.chrome("integrations"), id, domain: instance.base_url };
    Ok(render(StatusCode::OK, &page))
}

/// Sends the browser to GitLab's consent again (after a refused or expired
/// one, or to reconnect an instance whose tokens GitLab revoked) with the
/// instance's stored application: a new OAuth state, so a POST with the
/// session's CSRF token, never a link.
async fn connect(
    signed: Admin,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> PageResult {
    let axum::Json(start) = oauth::start(signed.api_admin(), State(state), ApiPath(id)).await?;
    Ok(redirect(&headers, &start.authorize_url))
}

/// One project of the Select Repositories list.
struct ProjectRow {
    id: i64,
    path: String,
    default_branch: String,
    checked: bool,
    conflict: Option<String>,
}

#[derive(Template)]
#[template(path = "wizard/repositories.html")]
struct RepositoriesStep {
    chrome: Chrome,
    steps: Steps,
    id: i64,
    domain: String,
    mode: String,
    search: String,
    projects: Vec<ProjectRow>,
    /// Chosen on other pages: carried as hidden fields.
    carried: Vec<i64>,
    next_cursor: Option<String>,
    page_number: usize,
    /// How many repositories are ticked, on every page.
    chosen_count: usize,
    /// How many repositories GitLab lists (matching the search), when it
    /// counts them.
    total: Option<u64>,
    list_error: Option<Problem>,
    error: Option<Problem>,
}

/// The list's state, from the query string: repeated `project_ids`, so
/// it is read as pairs.
struct ListState {
    mode: Option<String>,
    search: String,
    cursor: Option<String>,
    page_number: usize,
    chosen: Option<BTreeSet<i64>>,
}

impl ListState {
    fn parse(pairs: &[(String, String)]) -> ListState {
        let mut list = ListState {
            mode: None,
            search: String::new(),
            cursor: None,
            page_number: 1,
            chosen: None,
        };
        for (key, value) in pairs {
            match key.as_str() {
                "mode" => list.mode = Some(value.clone()),
                "search" => list.search = value.trim().to_owned(),
                "cursor" if !value.is_empty() => list.cursor = Some(value.clone()),
                "page" => list.page_number = value.parse().unwrap_or(1),
                "carry" => {
                    list.chosen.get_or_insert_with(BTreeSet::new);
                }
                "project_ids" => {
                    if let Ok(id) = value.parse() {
                        list.chosen.get_or_insert_with(BTreeSet::new).insert(id);
                    }
                }
                _ => {}
            }
        }
        list
    }
}

async fn repositories_page(
    signed: &Admin,
    state: &AppState,
    id: i64,
    list: ListState,
    error: Option<Problem>,
) -> PageResult<RepositoriesStep> {
    let instance = super::instance(state, id).await?;
    let (saved_mode, saved_chosen) = state.store.instance_selection(id).await?.unwrap_or_default();
    // A new instance (nothing chosen, no repository yet) starts on the
    // option the brief lists first, "All repositories", not on an empty list.
    let fresh = saved_chosen.is_empty() && state.store.repositories(Some(id)).await?.is_empty();
    let chosen: BTreeSet<i64> = list.chosen.unwrap_or_else(|| saved_chosen.into_iter().collect());
    let mode = list.mode.unwrap_or(if saved_mode.is_empty() || fresh {
        "all".to_owned()
    } else {
        saved_mode
    });
    let query = instances::ProjectQuery {
        search: Some(list.search.clone()).filter(|search| !search.is_empty()),
        cursor: list.cursor,
        limit: Some(20),
    };
    let (projects, next_cursor, total, list_error) = match instances::list_projects(
        signed.api_admin(),
        State(state.clone()),
        ApiPath(id),
        ApiQuery(query),
    )
    .await
    {
        Ok(axum::Json(page)) => (page.items, page.next_cursor, page.total, None),
        Err(error) => (Vec::new(), None, None, Some(Problem::from_text(error.to_string()))),
    };
    let shown: BTreeSet<i64> = projects.iter().map(|project| project.project_id).collect();
    let projects = projects
        .into_iter()
        .map(|project| ProjectRow {
            checked: chosen.contains(&project.project_id),
            id: project.project_id,
            path: project.path,
            default_branch: project.default_branch.unwrap_or_else(|| "(empty)".to_owned()),
            conflict: project.conflict,
        })
        .collect();
    Ok(RepositoriesStep {
        chrome: signed.chrome("integrations"),
        steps: Steps::at(3),
        id,
        domain: domain(&instance.base_url).to_owned(),
        mode,
        search: list.search,
        projects,
        carried: chosen.difference(&shown).copied().collect(),
        next_cursor,
        page_number: list.page_number,
        chosen_count: chosen.len(),
        total,
        list_error,
        error,
    })
}

async fn repositories_step(
    signed: Admin,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> PageResult {
    let page = repositories_page(&signed, &state, id, ListState::parse(&pairs), None).await?;
    Ok(render(StatusCode::OK, &page))
}

/// Select Repositories, Save: the API's selection, then Done.
async fn select(
    signed: Admin,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let list = ListState::parse(&pairs);
    // An Edit (the instance has repositories already) is not a new connection.
    let editing = !state.store.repositories(Some(id)).await?.is_empty();
    let mode = list.mode.clone().unwrap_or_else(|| "all".to_owned());
    let project_ids: Vec<i64> = list.chosen.clone().unwrap_or_default().into_iter().collect();
    let problem = if mode == "chosen" && project_ids.is_empty() {
        Some(AppError::bad_request("choose at least one repository, or select all of them"))
    } else {
        let selection = instances::Selection { mode, project_ids };
        instances::set_selection(
            signed.api_admin(),
            State(state.clone()),
            ApiPath(id),
            ApiJson(selection),
        )
        .await
        .err()
    };
    match problem {
        None => {
            let saved = if editing { "?saved=1" } else { "" };
            Ok(redirect(&headers, &format!("/integrations/gitlab/{id}/done{saved}")))
        }
        Some(error) => {
            let page = repositories_page(
                &signed,
                &state,
                id,
                list,
                Some(Problem::from_text(error.to_string())),
            )
            .await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

#[derive(Template)]
#[template(path = "wizard/done.html")]
struct DoneStep {
    chrome: Chrome,
    steps: Steps,
    id: i64,
    domain: String,
    progress: Progress,
    /// An Edit's selection saved, not a new connection.
    saved: bool,
}

/// The Done step's query: `saved=1` after an Edit.
#[derive(Debug, Default, Deserialize)]
struct DoneQuery {
    #[serde(default)]
    saved: Option<String>,
}

#[derive(Template)]
#[template(path = "wizard/progress.html")]
struct Progress {
    id: i64,
    status: String,
    status_label: &'static str,
    reason: String,
    repositories: i64,
    scanned: i64,
    pending: i64,
    /// What was selected, in words, while the sync has not listed the
    /// repositories yet ("3 chosen", "all you maintain").
    selection: String,
}

impl Progress {
    fn finished(&self) -> bool {
        self.status == "error"
            || (self.status == "connected"
                && self.pending == 0
                && self.scanned >= self.repositories)
    }
}

async fn progress_of(state: &AppState, id: i64) -> PageResult<(String, Progress)> {
    let instance = super::instance(state, id).await?;
    let scan = state.store.scan_progress(id).await?;
    let selection = match state.store.instance_selection(id).await? {
        Some((mode, chosen)) if mode == "chosen" => format!("{} chosen", chosen.len()),
        Some((mode, _)) if mode == "all_and_future" => "all you maintain, now and later".to_owned(),
        _ => "all you maintain".to_owned(),
    };
    Ok((
        domain(&instance.base_url).to_owned(),
        Progress {
            id,
            status_label: super::integrations::status_label(&instance.status),
            status: instance.status,
            reason: instance.status_reason.unwrap_or_default(),
            repositories: scan.repositories,
            scanned: scan.scanned,
            pending: scan.pending_scans,
            selection,
        },
    ))
}

async fn done(
    signed: Admin,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    let (domain, progress) = progress_of(&state, id).await?;
    let page = DoneStep {
        chrome: signed.chrome("integrations"),
        steps: Steps::at(4),
        id,
        domain,
        progress,
        saved: query.saved.is_some(),
    };
    Ok(render(StatusCode::OK, &page))
}

/// The Done step's live progress (htmx polls it until the first scans end).
async fn progress(
    _signed: Admin,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> PageResult {
    let (_, progress) = progress_of(&state, id).await?;
    Ok(render(StatusCode::OK, &progress))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_state_keeps_choices_across_pages() {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(
            "mode=chosen&search=+app+&cursor=abc&page=2&carry=1&project_ids=3&project_ids=1&project_ids=x",
        )
        .unwrap();
        let list = ListState::parse(&pairs);
        assert_eq!(list.mode.as_deref(), Some("chosen"));
        assert_eq!(list.search, "app");
        assert_eq!(list.cursor.as_deref(), Some("abc"));
        assert_eq!(list.page_number, 2);
        assert_eq!(list.chosen.unwrap().into_iter().collect::<Vec<_>>(), vec![1, 3]);
        // Nothing carried: the saved selection applies.
        assert!(ListState::parse(&[]).chosen.is_none());
        // Carried but none chosen: an empty choice, not the saved one.
        let pairs = vec![("carry".to_owned(), "1".to_owned())];
        assert_eq!(ListState::parse(&pairs).chosen, Some(BTreeSet::new()));
    }

    #[test]
    fn steps_mark_done_current_and_todo() {
        let states: Vec<_> = Steps::at(2).items().map(|(_, _, state)| state).collect();
        assert_eq!(states, ["done", "done", "current", "todo", "todo"]);
    }
}
