//! The command line as a whole: help text and exit codes.
use crate::util::{respack, snapshots};

#[test]
fn usage_error_exits_2() {
    respack(["no-such-command"]).run().code(2).no_panic();
}

#[test]
fn help_snapshot() {
    let run = respack(["--help"]).run().success();
    snapshots().bind(|| insta::assert_snapshot!("help", run.stdout()));
}
