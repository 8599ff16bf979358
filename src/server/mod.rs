//! `respack serve`: the reference SOAR org, an emulation of the SOAR REST API subset that respack
//! and IBM's clients use, with its state in SQLite.

pub mod emulated;
