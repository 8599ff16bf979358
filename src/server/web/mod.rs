//! The reference org in a browser: the pages the package's README walks through (log in,
//! Administrator Settings → Organization → Import → Import Settings, the incident with its
//! tasks, artifacts, data tables and Actions menus, Customization Settings), served on the same
//! HTTPS port as the REST API, from the same store and through the same store functions, the
//! same import code path ([`super::api::begin_import`]) and the same action runner
//! ([`super::actions::ActionRunner`]) — no second copy of the org's rules.
//!
//! Every page says it is respack's reference org, not IBM SOAR. Templates are askama's
//! (`templates/web/`, checked at compile time, HTML-escaped by default); rich text is sanitised
//! ([`richtext`]); the CSS and the one script are embedded in the binary and served from
//! `/static/`, and the `Content-Security-Policy` allows no inline script.
//!
//! Sessions are the REST API's (`POST /rest/session` and the login page make the same kind,
//! with the same idle expiry); the cookie is `Secure; HttpOnly; SameSite=Strict`, and every form
//! carries the session's csrf token (the one `X-sess-id` carries for REST clients). These routes
//! sit outside the REST API's credential guard: they authenticate by cookie and form token
//! ([`session`]) and cap their own bodies.

pub mod error;
pub mod pages;
pub mod richtext;
pub mod runs;
pub mod session;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

pub use error::WebError;

use super::actions::ActionRunner;
use super::state::AppState;

/// What the pages share: the org's state, the action runner (when the org runs workflows) and
/// the runs started from the pages.
#[derive(Clone)]
pub struct Web {
    pub(crate) app: AppState,
    pub(crate) runner: Option<ActionRunner>,
    pub(crate) runs: Arc<runs::Runs>,
}

/// The policy every page is served with: only this origin's scripts, styles and images (no
/// inline script or style), no plugins, no framing, forms only to this origin.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

/// The largest form body (login, actions, artifacts): the upload has its own cap
/// ([`super::Limits::web_upload`]).
const FORM_MAX: usize = 64 * 1024;

/// The page routes, with their state.
pub fn routes(app: AppState, runner: Option<ActionRunner>) -> Router {
    let upload_max = app.limits().web_upload;
    let web = Web {
        app,
        runner,
        runs: Arc::new(runs::Runs::default()),
    };
    let upload = Router::new()
        .route(
            "/orgs/{org}/admin/organization/import",
            get(pages::import_page).post(pages::import_upload),
        )
        // Room for the multipart framing around a file of the cap's size; the handler checks
        // the file itself against the cap.
        .layer(DefaultBodyLimit::max(upload_max + FORM_MAX))
        .with_state(web.clone());
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/static/{file}", get(static_file))
        .route(
            "/orgs/{org}/incidents",
            get(pages::incidents).post(pages::create_incident),
        )
        .route("/orgs/{org}/incidents/{inc}", get(pages::incident))
        .route(
            "/orgs/{org}/incidents/{inc}/actions",
            post(pages::run_action),
        )
        .route(
            "/orgs/{org}/incidents/{inc}/artifacts",
            post(pages::add_artifact),
        )
        .route("/orgs/{org}/runs/{run}", get(pages::run_status))
        .route("/orgs/{org}/admin", get(pages::admin))
        .route("/orgs/{org}/admin/organization", get(pages::organization))
        .route(
            "/orgs/{org}/admin/organization/import/{id}",
            get(pages::import_preview).post(pages::import_decide),
        )
        .route(
            "/orgs/{org}/admin/organization/import-history",
            get(pages::import_history),
        )
        .route("/orgs/{org}/customize", get(pages::customize_default))
        .route("/orgs/{org}/customize/{what}", get(pages::customize))
        .layer(DefaultBodyLimit::max(FORM_MAX))
        .with_state(web)
        .merge(upload)
        .layer(axum::middleware::map_response(security_headers))
}

/// The headers of an HTML answer.
pub(crate) fn html_headers() -> [(HeaderName, HeaderValue); 1] {
    [(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    )]
}

/// On every answer of the pages: the CSP, no sniffing, no referrer, no framing, no caching
/// (pages show the org's data to one session).
async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// The embedded stylesheet and script.
const ASSETS: [(&str, &str, &str); 2] = [
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("static/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("static/app.js"),
    ),
];

async fn static_file(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, kind, body)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("private, max-age=300"),
                ),
            ],
            *body,
        )
            .into_response(),
        None => WebError::NotFound(format!("/static/{file}")).into_response(),
    }
}
