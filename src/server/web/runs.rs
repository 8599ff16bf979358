//! The action runs started from the pages. The REST route answers when the workflows end; a
//! page cannot wait that long, so the run goes on in the background and the incident page
//! polls it (`GET /orgs/{org}/runs/{id}`) until it has ended, then shows what it did.
//!
//! The poll can wait: [`Runs::wait`] returns when the run ends (or after a while), so the page
//! asks again at once instead of on a timer.
//!
//! Runs live in memory only (a restarted server forgets them, as SOAR's action status panel
//! does) and only the last [`KEPT`] are kept.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::Value;

use crate::server::store::OrgId;

/// How many runs are remembered.
pub const KEPT: usize = 200;

/// Where a run stands.
#[derive(Debug, Clone, PartialEq)]
pub enum RunState {
    Running,
    /// The invocation's answer (the workflows may still have failed: see its `workflows`).
    Done(Value),
    /// The invocation was refused or could not run, with why.
    Refused(String),
}

/// One run started from a page.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub org: OrgId,
    pub incident: i64,
    pub rule: String,
    pub state: RunState,
}

/// The runs, by id.
#[derive(Debug, Default)]
pub struct Runs {
    inner: Mutex<(u64, BTreeMap<u64, Run>)>,
    /// Woken whenever a run ends.
    ended: tokio::sync::Notify,
}

impl Runs {
    /// Record a new running run; its id.
    pub fn start(&self, org: OrgId, incident: i64, rule: &str) -> u64 {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.0 += 1;
        let id = g.0;
        g.1.insert(
            id,
            Run {
                org,
                incident,
                rule: rule.to_string(),
                state: RunState::Running,
            },
        );
        while g.1.len() > KEPT {
            g.1.pop_first();
        }
        id
    }

    pub fn finish(&self, id: u64, state: RunState) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(run) = g.1.get_mut(&id) {
            run.state = state;
        }
        drop(g);
        self.ended.notify_waiters();
    }

    /// Run `id` of `org` once it has ended, or as it stands after `at_most`.
    pub async fn wait(&self, org: OrgId, id: u64, at_most: std::time::Duration) -> Option<Run> {
        let deadline = tokio::time::Instant::now() + at_most;
        loop {
            // Registered before the look, so an end between the look and the wait is not missed.
            let ended = self.ended.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            let run = self.get(org, id)?;
            if run.state != RunState::Running {
                return Some(run);
            }
            if tokio::time::timeout_at(deadline, ended).await.is_err() {
                return Some(run);
            }
        }
    }

    /// Run `id` when it belongs to `org`.
    pub fn get(&self, org: OrgId, id: u64) -> Option<Run> {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.1.get(&id).filter(|r| r.org == org).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_found_only_in_its_org_and_old_ones_are_dropped() {
        let runs = Runs::default();
        let first = runs.start(OrgId(1), 7, "r");
        assert_eq!(runs.get(OrgId(1), first).unwrap().state, RunState::Running);
        assert!(runs.get(OrgId(2), first).is_none());
        runs.finish(first, RunState::Refused("no".into()));
        assert_eq!(
            runs.get(OrgId(1), first).unwrap().state,
            RunState::Refused("no".into())
        );
        for _ in 0..KEPT {
            runs.start(OrgId(1), 7, "r");
        }
        assert!(runs.get(OrgId(1), first).is_none());
    }

    #[tokio::test]
    async fn wait_returns_when_the_run_ends() {
        let runs = std::sync::Arc::new(Runs::default());
        let id = runs.start(OrgId(1), 7, "r");
        let ender = runs.clone();
        tokio::spawn(async move { ender.finish(id, RunState::Done(serde_json::json!({}))) });
        // A day: the test ends when the run does, or hangs (and the harness says so).
        let run = runs
            .wait(OrgId(1), id, std::time::Duration::from_secs(86_400))
            .await
            .unwrap();
        assert_eq!(run.state, RunState::Done(serde_json::json!({})));
        assert!(runs
            .wait(OrgId(2), id, std::time::Duration::ZERO)
            .await
            .is_none());
    }
}
