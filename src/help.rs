//! The `help` line every error can carry: what the user should run or change next.
//!
//! Each domain has its own error enum whose wording lives in its `Display` impl; this trait adds
//! the one extra line the CLI prints under `error:` as `help:`.

/// An error that can say what to do next.
pub trait Help: std::error::Error {
    /// One line telling the user what to run or change next, when there is something to say.
    fn help(&self) -> Option<String> {
        None
    }
}
