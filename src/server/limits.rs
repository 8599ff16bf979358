//! What the reference org holds for a client, and for how long: [`Limits`] (body sizes, the
//! header timeout, how long sessions and pending imports live) and the [`Clock`] the expiries
//! are measured on.
//!
//! `respack serve` is what CI and newcomers point everything at, so a client that misbehaves
//! (or an unauthenticated one that means to) must not be able to make it hold memory,
//! connections or database rows without bound. The limits live in one value so the server, its
//! tests and `--help` agree on them; tests set them small (and move a [`Clock::manual`]) rather
//! than wait.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The server's bounds. [`Limits::default`] is what `respack serve` runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body of a caller without valid credentials (a login, a probe): larger
    /// ones are refused with 413 before they are read.
    pub unauthenticated_body: usize,
    /// Largest request body of an authenticated caller (imports of big exports).
    pub authenticated_body: usize,
    /// Largest `.res`/`.resz` file the web page's Import Settings takes (a browser upload,
    /// refused with 413 beyond it, before any of it is parsed).
    pub web_upload: usize,
    /// A connection whose TLS handshake or request headers are not complete this long after it
    /// started waiting for them is closed.
    pub header_timeout: Duration,
    /// A login session unused this long is gone (the next call answers 401).
    pub session_idle: Duration,
    /// An import left PENDING this long is expired: its `.res` is dropped from the database and
    /// it can no longer be accepted.
    pub pending_import: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            unauthenticated_body: 64 * 1024,
            authenticated_body: 256 * 1024 * 1024,
            web_upload: 32 * 1024 * 1024,
            header_timeout: Duration::from_secs(30),
            session_idle: Duration::from_secs(60 * 60),
            pending_import: Duration::from_secs(15 * 60),
        }
    }
}

/// Milliseconds since the Unix epoch, from the system clock or from a hand-moved one (tests).
#[derive(Debug, Clone, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock that stands at `start_ms` until [`Clock::advance`] moves it.
    pub fn manual(start_ms: i64) -> Clock {
        Clock(Some(Arc::new(AtomicI64::new(start_ms))))
    }

    /// Move a manual clock forward (no effect on the system clock).
    pub fn advance(&self, by: Duration) {
        if let Some(ms) = &self.0 {
            ms.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
        }
    }

    pub fn now_ms(&self) -> i64 {
        match &self.0 {
            Some(ms) => ms.load(Ordering::SeqCst),
            None => super::store::now_ms(),
        }
    }
}

/// Milliseconds of a duration, for comparing with stored timestamps.
pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let c = Clock::manual(1_000);
        assert_eq!(c.now_ms(), 1_000);
        c.advance(Duration::from_secs(2));
        assert_eq!(c.clone().now_ms(), 3_000);
    }
}
