//! The deterministic writers: the canonical `.res` bytes and the `resqrawmitre.tar` archive.
