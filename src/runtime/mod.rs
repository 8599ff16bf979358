//! The reference function runtime: the five functions the package's workflows call, and the
//! workflow engine that runs a workflow's steps and python3 scripts locally.

pub mod mitre;
pub mod qradar;
