//! Why a page could not be shown: [`WebError`], with its wording in one `Display` impl and a
//! help line, answered as an HTML page with the status SOAR's REST API would use (or, for a
//! missing session, a redirect to the login page).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::help::Help;
use crate::server::error::ApiError;

/// An error of the web pages.
#[derive(Debug)]
pub enum WebError {
    /// No session, or an expired one: the answer is a redirect to the login page.
    LoginRequired,
    /// A page, incident, import or run this user's orgs do not have.
    NotFound(String),
    /// A form sent without its session's token.
    Csrf,
    /// An upload over the size cap.
    TooLarge { limit: usize },
    /// A form or upload that cannot be used as sent.
    BadRequest(String),
    /// The org was started without a workflow runner.
    NoWorkflows,
    /// What the REST code path refused (its status and message).
    Api(ApiError),
    /// A template failed to render (a bug).
    Render(String),
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebError::LoginRequired => write!(f, "Log in to see this page"),
            WebError::NotFound(what) => write!(f, "Not found: {what}"),
            WebError::Csrf => write!(
                f,
                "The form was sent without this session's token (it may come from another site, or from a page older than your login)"
            ),
            WebError::TooLarge { limit } => write!(
                f,
                "The file is larger than the {} MiB this org takes through the web page",
                limit.div_ceil(1024 * 1024)
            ),
            WebError::BadRequest(why) => write!(f, "{why}"),
            WebError::NoWorkflows => write!(f, "This org was started without a workflow runner"),
            WebError::Api(e) => write!(f, "{}", e.message),
            WebError::Render(why) => write!(f, "The page could not be rendered: {why}"),
        }
    }
}

impl std::error::Error for WebError {}

impl Help for WebError {
    fn help(&self) -> Option<String> {
        match self {
            WebError::LoginRequired => None,
            WebError::NotFound(_) => {
                Some("Go back to the incident list: it shows what your orgs hold.".into())
            }
            WebError::Csrf => Some("Reload the page and send the form again.".into()),
            WebError::TooLarge { .. } => Some(
                "Import a file this large with `respack install --package FILE` or the REST API."
                    .into(),
            ),
            WebError::BadRequest(_) => Some("Go back, correct the form and send it again.".into()),
            WebError::NoWorkflows => Some(
                "Start the org with `respack serve`, which runs the package's workflows.".into(),
            ),
            WebError::Api(e) => e.hints.first().cloned(),
            WebError::Render(_) => Some("Report this: it is a bug in respack.".into()),
        }
    }
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::LoginRequired => StatusCode::SEE_OTHER,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::NoWorkflows => StatusCode::CONFLICT,
            WebError::Api(e) => e.status,
            WebError::Render(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> WebError {
        if e.status == StatusCode::NOT_FOUND {
            WebError::NotFound(e.message)
        } else {
            WebError::Api(e)
        }
    }
}

impl From<crate::server::store::StoreError> for WebError {
    fn from(e: crate::server::store::StoreError) -> WebError {
        WebError::Api(e.into())
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> WebError {
        WebError::Render(e.to_string())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let WebError::LoginRequired = self {
            return (StatusCode::SEE_OTHER, [(header::LOCATION, "/login")]).into_response();
        }
        let page = super::pages::ErrorPage {
            status: self.status().as_u16(),
            message: self.to_string(),
            help: self.help(),
        };
        let body = askama::Template::render(&page)
            .unwrap_or_else(|_| "respack reference org — not IBM SOAR: error".into());
        (self.status(), super::html_headers(), body).into_response()
    }
}
