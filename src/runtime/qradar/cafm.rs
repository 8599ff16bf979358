//! Client of QRadar Advisor's Cyber Adversary Framework Mapping (CAFM) app, which maps QRadar
//! rules to MITRE ATT&CK tactics; follows the integration's `QRadarCafmClient`.
//!
//! The app has no `/about`: `GET /config/tuning` sets the `TACTICS-XSRF-TOKEN` cookie, copied into
//! header `X-TACTICS-XSRF-TOKEN`. `GET /mappings` returns every rule's mapping keyed by rule name
//! (the per-rule lookup did not work in QRadar Advisor, so the integration fetches them all).

use serde_json::Value;

use super::config::{AdvisorConfig, ADVISOR_SECTION};
use super::error::QradarError;
use super::http::Session;

/// A session with the CAFM app.
pub struct CafmClient {
    session: Session,
    xsrf: Option<String>,
}

impl CafmClient {
    /// Needs `qradar_cafm_app_id` and `qradar_cafm_token` in `[fn_qradar_advisor]`.
    pub fn new(cfg: &AdvisorConfig, file: &std::path::Path) -> Result<CafmClient, QradarError> {
        let missing = |key: &str| QradarError::MissingKey {
            file: file.to_path_buf(),
            section: ADVISOR_SECTION.into(),
            key: key.into(),
        };
        let app_id = cfg
            .cafm_app_id
            .as_ref()
            .ok_or_else(|| missing("qradar_cafm_app_id"))?;
        let token = cfg
            .cafm_token
            .as_ref()
            .ok_or_else(|| missing("qradar_cafm_token"))?;
        let base = format!("{}/console/plugins/{}/app_proxy/api", cfg.host, app_id);
        Ok(CafmClient {
            session: Session::new(
                base,
                &cfg.verify,
                cfg.http_timeout,
                cfg.proxy.as_deref(),
                Some((token, true)),
                None,
            )?,
            xsrf: None,
        })
    }

    fn ensure_token(&mut self) -> Result<(), QradarError> {
        if self.xsrf.is_some() {
            return Ok(());
        }
        let url = self.session.url("/config/tuning");
        let reply = self
            .session
            .get("/config/tuning")
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
        if let Some(token) = self.session.cookie("TACTICS-XSRF-TOKEN") {
            self.session.set_header("X-TACTICS-XSRF-TOKEN", &token);
            self.xsrf = Some(token);
        }
        Ok(())
    }

    /// Every mapping, keyed by rule name.
    pub fn all_mappings(&mut self) -> Result<Value, QradarError> {
        self.ensure_token()?;
        let url = self.session.url("/mappings");
        let failure = |message: String| QradarError::GetAllMappings {
            url: url.clone(),
            message,
        };
        let reply = self.session.get("/mappings").map_err(failure)?;
        if reply.status != 200 {
            return Err(failure(format!(
                "Offense insights using {url} returns error {}",
                reply.repr()
            )));
        }
        reply.json().map_err(failure)
    }

    /// The mapping of one rule (exact name), or `{}` when the rule has none.
    pub fn find_tactic_mapping(&mut self, rule_name: &str) -> Result<Value, QradarError> {
        let all = self.all_mappings()?;
        Ok(all
            .get(rule_name)
            .cloned()
            .unwrap_or_else(|| Value::Object(Default::default())))
    }
}
