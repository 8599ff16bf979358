//! Checks over a resource file, each producing a `Diagnostic` with a stable code.
