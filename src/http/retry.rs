//! The one retry policy: which answers are worth another try, and how long to wait first.
//!
//! Only idempotent calls are retried (the caller says which: a GET, a DELETE, SOAR's read-only
//! export and search); a call that can change the server twice, like the POST that starts an
//! import, is sent once whatever happens. A retry follows a connection failure, a 429 or a 5xx,
//! never a read timeout (the server is up but slow, and asking again multiplies its load) nor a
//! TLS, DNS or proxy failure (it would fail the same way again).

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;

/// Whether a request may be sent again after a failure that might have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Sending it twice has the effect of sending it once.
    Idempotent,
    /// Sending it twice could change the server twice: never retried.
    Once,
}

/// How idempotent calls are retried after connection errors, 5xx and 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = never retry).
    pub max_retries: u32,
    /// Wait before the first retry; doubled for each next one.
    pub initial_backoff: Duration,
    /// Upper bound of a single wait, including a server's `Retry-After`.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// The wait before retry number `attempt + 1` (`attempt` = retries done so far): the
    /// server's `Retry-After` when it gave one, else the exponential backoff; both capped.
    pub fn wait(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        retry_after
            .unwrap_or_else(|| self.initial_backoff.saturating_mul(1u32 << attempt.min(16)))
            .min(self.max_backoff)
    }
}

/// Whether an answer with this status is worth asking again (for an idempotent call).
pub fn retryable_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// `Retry-After` in seconds (the form SOAR, MITRE's TAXII server and QRadar send). An HTTP date
/// or garbage is ignored, and the backoff applies.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped_and_retry_after_wins() {
        let p = RetryPolicy {
            max_retries: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        };
        assert_eq!(p.wait(0, None), Duration::from_millis(100));
        assert_eq!(p.wait(2, None), Duration::from_millis(400));
        assert_eq!(p.wait(9, None), Duration::from_secs(1));
        assert_eq!(
            p.wait(0, Some(Duration::from_millis(700))),
            Duration::from_millis(700)
        );
        assert_eq!(
            p.wait(0, Some(Duration::from_secs(60))),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn retry_after_reads_seconds_only() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, " 7 ".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn only_429_and_5xx_are_retryable() {
        assert!(retryable_status(StatusCode::TOO_MANY_REQUESTS));
        assert!(retryable_status(StatusCode::SERVICE_UNAVAILABLE));
        assert!(retryable_status(StatusCode::BAD_GATEWAY));
        assert!(!retryable_status(StatusCode::NOT_FOUND));
        assert!(!retryable_status(StatusCode::BAD_REQUEST));
    }
}
