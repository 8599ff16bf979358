//! The errors of the reference org: [`ApiError`], the JSON error answer every endpoint gives
//! (`{"success": false, "title", "message", "hints", "error_code"}` with the HTTP status SOAR
//! uses), and [`ServerError`], why `respack serve` could not start.

use std::path::PathBuf;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::import::ImportError;
use super::store::StoreError;

/// An error answer of the REST API.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub title: String,
    pub message: String,
    pub hints: Vec<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, title: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            title: title.to_string(),
            message: message.into(),
            hints: vec![],
        }
    }

    pub fn with_hints(mut self, hints: Vec<String>) -> Self {
        self.hints = hints;
        self
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "Unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "Forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "Not Found", message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "Bad Request", message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::CONFLICT, "Conflict", message)
    }

    /// 413: a body over `limit` bytes; `authenticated` says which limit it was.
    pub fn payload_too_large(limit: usize, authenticated: bool) -> Self {
        let who = if authenticated {
            "a request"
        } else {
            "a request without valid credentials"
        };
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Payload Too Large",
            format!("The body of {who} may be at most {limit} bytes"),
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Server Error", message)
    }

    fn error_code(&self) -> &'static str {
        match self.status {
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::CONFLICT => "conflict",
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            s if s.is_server_error() => "internal",
            _ => "generic",
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.title,
            self.message
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "success": false,
            "title": self.title,
            "message": self.message,
            "hints": self.hints,
            "error_code": self.error_code(),
        });
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal(e.to_string())
    }
}

impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Store(s) => s.into(),
            ImportError::Refused(problems) => {
                ApiError::bad_request(format!("The import was refused: {}", problems.join("; ")))
                    .with_hints(problems)
            }
        }
    }
}

/// Why the reference org could not start (or a library call on it failed).
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot open the org database {path}: {source}")]
    Db { path: PathBuf, source: StoreError },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid --listen address {addr:?}: expected HOST:PORT such as 127.0.0.1:8443")]
    Listen { addr: String },
    #[error("refusing to listen on {addr}: it reaches beyond this host, and anyone with the org's API key can import a workflow whose python3 scripts then run here")]
    NotLoopback { addr: String },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot make the TLS certificate: {0}")]
    Certificate(String),
    #[error("cannot start the server runtime: {0}")]
    Runtime(std::io::Error),
    #[error("seeding the org failed: {0}")]
    Seed(#[from] ImportError),
    #[error("no org named {0:?} in the database")]
    NoOrg(String),
    #[error("the server thread stopped before it was ready")]
    Stopped,
}

impl crate::help::Help for ServerError {
    fn help(&self) -> Option<String> {
        match self {
            ServerError::Db { .. } | ServerError::Store(_) => {
                Some("point --db at a new file to start a fresh org".into())
            }
            ServerError::Listen { .. } | ServerError::Bind { .. } => {
                Some("pick another address with --listen, or 127.0.0.1:0 for any free port".into())
            }
            ServerError::NotLoopback { .. } => Some(
                "listen on 127.0.0.1 (the default), or pass --allow-remote on a network you trust"
                    .into(),
            ),
            ServerError::Io { .. } => Some("check that the folder exists and is writable".into()),
            ServerError::Seed(_) => Some(
                "the seed export is inconsistent; `respack validate` on it names the problem"
                    .into(),
            ),
            _ => None,
        }
    }
}
