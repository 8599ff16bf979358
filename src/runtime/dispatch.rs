//! [`Runtime`]: the reference function runtime as one value the workflow engine calls: the
//! three QRadar functions with their app.config sections, and the two MITRE functions over an
//! ATT&CK index, answering as MITRE integration 1.0 or 2.x.
//!
//! A function whose integration is not configured fails the way a SOAR without that
//! integration's app would leave the step: with a message naming what is missing.

use std::sync::Arc;

use super::engine::FunctionRuntime;
use super::qradar::config::AppConfig;
use super::{mitre, qradar, FunctionError, FunctionOutput, Inputs};
use crate::attack::Index;
use crate::res::FunctionName;

/// The functions the package's workflows call, with where each gets its data.
#[derive(Debug, Clone, Default)]
pub struct Runtime {
    /// ATT&CK for the MITRE functions; `None` makes them fail with a message naming `--bundle`.
    pub attack: Option<Arc<Index>>,
    /// Why `attack` is `None`, when it is known (said in the functions' error).
    pub attack_unavailable: Option<String>,
    /// Which MITRE integration generation to answer as.
    pub mitre_api: mitre::Api,
    /// `[fn_qradar_advisor]` and `[fn_qradar_integration]`; `None` makes the QRadar functions
    /// fail with a message naming those sections.
    pub qradar: Option<AppConfig>,
}

impl FunctionRuntime for Runtime {
    fn call(
        &self,
        function: &FunctionName,
        inputs: &Inputs,
    ) -> Result<FunctionOutput, FunctionError> {
        let name = function.as_str();
        if qradar::FUNCTIONS.contains(&name) {
            let Some(config) = &self.qradar else {
                return Err(FunctionError::new(
                    name,
                    "no QRadar configuration: the runtime needs the [fn_qradar_advisor] and \
                     [fn_qradar_integration] sections of an app.config",
                ));
            };
            if let Some(result) = qradar::call(config, name, inputs) {
                return result;
            }
        }
        if name == mitre::TACTIC_FUNCTION || name == mitre::TECHNIQUE_FUNCTION {
            let Some(index) = &self.attack else {
                let why = self
                    .attack_unavailable
                    .as_deref()
                    .map(|w| format!(" ({w})"))
                    .unwrap_or_default();
                return Err(FunctionError::new(
                    name,
                    format!(
                        "no MITRE ATT&CK data{why}: give the runtime a STIX bundle (--bundle FILE) \
                         or a reachable TAXII server"
                    ),
                ));
            };
            return mitre::call(self.mitre_api, name, index, inputs);
        }
        Err(FunctionError::new(
            name,
            "respack's runtime does not implement this function",
        ))
    }
}
