//! QRadar Advisor client: the offense analysis and the offense insights, through the QRadar app
//! proxy `{host}/console/plugins/{app_id}/app_proxy/api`, following the integration's
//! `QRadarAdvisorClient` and `QRadarOffenseAnalysis`.
//!
//! Flow: `GET /about` once for the `XSRF-TOKEN` cookie, copied into header `X-XSRF-TOKEN`; then
//! (unless an existing result is asked for and found) `POST .../analysis`, poll
//! `GET .../analysis/status` until `DONE`, `DONE_STAGE3` or `NO_OBSERVABLES`, and fetch
//! `GET .../analysis/{stage}/stix` (stage2 when stage3 was asked for but the status did not say
//! stage3 is ready). The offense paths start with `/investigations/offense` (2.0.2+) or
//! `/offense` (2.0), per [`ApiPrefix`].

use std::fmt;
use std::time::Instant;

use serde_json::{json, Value};

use super::config::{AdvisorConfig, ApiPrefix, Polling};
use super::error::QradarError;
use super::http::{Reply, Session};

/// A QRadar offense id, as the function receives it (text).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OffenseId(pub String);

impl fmt::Display for OffenseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The analysis stage whose STIX result is wanted.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Local context.
    Stage1,
    /// Watson enriched.
    Stage2,
    /// Expanded local context (the input's default).
    Stage3,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Stage1 => "stage1",
            Stage::Stage2 => "stage2",
            Stage::Stage3 => "stage3",
        }
    }

    pub fn parse(value: &str) -> Option<Stage> {
        match value {
            "stage1" => Some(Stage::Stage1),
            "stage2" => Some(Stage::Stage2),
            "stage3" => Some(Stage::Stage3),
            _ => None,
        }
    }
}

// The integration's `SearchWaitCommand` codes, which its messages print.
const STOPPED_ON_ERROR: &str = "1";
const WAITING: &str = "2";

/// What one status poll said.
enum Poll {
    Done { stage3_available: bool },
    Stop(String),
    Wait(String),
}

/// A session with QRadar Advisor.
pub struct AdvisorClient {
    session: Session,
    prefix: ApiPrefix,
    xsrf: Option<String>,
}

impl AdvisorClient {
    pub fn new(cfg: &AdvisorConfig) -> Result<AdvisorClient, QradarError> {
        let base = format!(
            "{}/console/plugins/{}/app_proxy/api",
            cfg.host, cfg.advisor_app_id
        );
        Ok(AdvisorClient {
            session: Session::new(
                base,
                &cfg.verify,
                cfg.http_timeout,
                cfg.proxy.as_deref(),
                Some((&cfg.advisor_token, true)),
                None,
            )?,
            prefix: cfg.api_prefix,
            xsrf: None,
        })
    }

    fn offense_path(&self, offense: &OffenseId, rest: &str) -> String {
        format!("/{}/{}{}", self.prefix.as_str(), offense, rest)
    }

    /// `GET /about` for the XSRF token, once per session.
    fn ensure_xsrf(&mut self) -> Result<(), QradarError> {
        if self.xsrf.is_some() {
            return Ok(());
        }
        let url = self.session.url("/about");
        let reply = self
            .session
            .get("/about")
            .map_err(|message| QradarError::Token {
                url: url.clone(),
                message,
            })?;
        if reply.status != 200 {
            return Err(QradarError::Token {
                url,
                message: format!("Status {}", reply.status),
            });
        }
        // Without the cookie the integration carries on without the header, and QRadar Advisor
        // refuses the next call; so do we.
        if let Some(token) = self.session.cookie("XSRF-TOKEN") {
            self.session.set_header("X-XSRF-TOKEN", &token);
            self.xsrf = Some(token);
        }
        Ok(())
    }

    /// Analyse an offense and return the STIX bundle, or `{"status_code": 404}` when QRadar
    /// Advisor found no observables.
    ///
    /// With `restart_if_existed` false an existing result is fetched first (stage3 then counts as
    /// unavailable, so stage2 comes back); an empty one starts a new analysis.
    pub fn offense_analysis(
        &mut self,
        offense: &OffenseId,
        restart_if_existed: bool,
        stage: Stage,
        polling: Polling,
    ) -> Result<Value, QradarError> {
        self.ensure_xsrf()?;
        if !restart_if_existed {
            let existing = self.analysis_result(offense, stage, false)?;
            if !is_empty(&existing) {
                return Ok(existing);
            }
        }
        self.start(offense)?;
        let stage3_available = self.wait(offense, polling)?;
        self.analysis_result(offense, stage, stage3_available)
    }

    fn start(&self, offense: &OffenseId) -> Result<(), QradarError> {
        let failed = |reason: String| QradarError::StartFailed {
            offense: offense.0.clone(),
            reason,
        };
        let reply = self
            .session
            .post(&self.offense_path(offense, "/analysis"))
            .map_err(failed)?;
        match reply.status {
            200 => Ok(()),
            401 => Err(QradarError::XfeCredentials {
                offense: offense.0.clone(),
            }),
            403 => Err(failed(format!(
                "HTTP 403: Offense {offense} does not exist or user does not have permission to view the offense."
            ))),
            429 => Err(failed(format!(
                "HTTP 429: Analysis limit has been met. Failed to start analysis for offense {offense}"
            ))),
            code => Err(failed(format!(
                "HTTP {code}: Offense {offense} analysis failed to start."
            ))),
        }
    }

    /// Poll until done; true when stage3 is available.
    fn wait(&self, offense: &OffenseId, polling: Polling) -> Result<bool, QradarError> {
        let started = Instant::now();
        loop {
            match self.poll(offense)? {
                Poll::Done { stage3_available } => return Ok(stage3_available),
                Poll::Stop(detail) => {
                    return Err(QradarError::SearchFailure {
                        search_id: offense.0.clone(),
                        status: STOPPED_ON_ERROR.into(),
                        detail: Some(detail),
                    })
                }
                Poll::Wait(last) => {
                    // As the integration: the time limit is checked after each status, then
                    // the period is slept.
                    if let Some(limit) = polling.timeout {
                        if started.elapsed() > limit {
                            return Err(QradarError::SearchTimeout {
                                search_id: offense.0.clone(),
                                status: WAITING.into(),
                                detail: Some(format!("last QRadar Advisor status {last}")),
                            });
                        }
                    }
                    std::thread::sleep(polling.period);
                }
            }
        }
    }

    fn poll(&self, offense: &OffenseId) -> Result<Poll, QradarError> {
        let failure = |status: String| QradarError::SearchFailure {
            search_id: offense.0.clone(),
            status,
            detail: None,
        };
        let reply = self
            .session
            .get(&self.offense_path(offense, "/analysis/status"))
            .map_err(failure)?;
        match reply.status {
            200 => {
                let body = reply.json().map_err(failure)?;
                let status = body.get("status").and_then(Value::as_str).unwrap_or("");
                Ok(match status {
                    "DONE" | "NO_OBSERVABLES" => Poll::Done {
                        stage3_available: false,
                    },
                    "DONE_STAGE3" => Poll::Done {
                        stage3_available: true,
                    },
                    "ERROR" | "ERROR_AUTH" => {
                        Poll::Stop(format!("QRadar Advisor reported {status}"))
                    }
                    other => Poll::Wait(format!("{other:?}")),
                })
            }
            403 => Ok(Poll::Stop(format!(
                "HTTP 403: Offense {offense} does not exist or no permission to read"
            ))),
            // The integration keeps waiting on any other answer.
            code => Ok(Poll::Wait(format!("HTTP {code}"))),
        }
    }

    /// `GET .../analysis/{stage}/stix`, falling back from stage3 to stage2.
    fn analysis_result(
        &self,
        offense: &OffenseId,
        stage: Stage,
        stage3_available: bool,
    ) -> Result<Value, QradarError> {
        let stage = if stage == Stage::Stage3 && !stage3_available {
            Stage::Stage2
        } else {
            stage
        };
        let failure = |status: String| QradarError::SearchFailure {
            search_id: offense.0.clone(),
            status,
            detail: None,
        };
        let path = self.offense_path(offense, &format!("/analysis/{}/stix", stage.as_str()));
        let reply = self.session.get(&path).map_err(failure)?;
        match reply.status {
            200 => reply.json().map_err(failure),
            404 if no_observables(&reply) => Ok(json!({"status_code": 404})),
            _ => Err(failure(reply.repr())),
        }
    }

    /// `GET .../insights`; `{"status_code": N}` when QRadar Advisor says there are no
    /// observables.
    pub fn offense_insights(&mut self, offense: &OffenseId) -> Result<Value, QradarError> {
        self.ensure_xsrf()?;
        let path = self.offense_path(offense, "/insights");
        let url = self.session.url(&path);
        let failure = |message: String| QradarError::OffenseInsights {
            url: url.clone(),
            message,
        };
        let reply = self.session.get(&path).map_err(failure)?;
        if reply.status == 200 {
            return reply.json().map_err(failure);
        }
        if no_observables(&reply) {
            return Ok(json!({"status_code": reply.status}));
        }
        Err(failure(format!(
            "Offense insights using {url} returns error {}",
            reply.repr()
        )))
    }
}

/// QRadar Advisor's "nothing to report" answer: `{"error": "NO_ERROR", "status": "NO_OBSERVABLES"}`.
fn no_observables(reply: &Reply) -> bool {
    reply.json().is_ok_and(|body| {
        body.get("error").and_then(Value::as_str) == Some("NO_ERROR")
            && body.get("status").and_then(Value::as_str) == Some("NO_OBSERVABLES")
    })
}

/// Python truthiness of a JSON result: an empty bundle means "no existing result".
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(_) => false,
    }
}
