//! respack: build, validate, install, diff and uninstall IBM SOAR (Resilient) content packages,
//! and run the "QRadar Advisor and MITRE ATT&CK" package's workflows locally.
//!
//! Modules are split by side effect so that each can be read and tested alone:
//!
//! | module | owns | I/O |
//! |---|---|---|
//! | [`res`] | typed model of every .res object kind, readers, the canonical writer, workflow BPMN | none |
//! | [`package`] | the qraw_mitre package as typed definitions | none |
//! | [`pack`] | deterministic .res and tar writer | files |
//! | [`source`] | a package source directory: unpack an export to files, read them, build them back | files |
//! | [`validate`] | checks producing [`validate::Diagnostic`]s | none, but for the optional python3 syntax check (subprocess, cache files) |
//! | [`appconfig`] | the one app.config reader (resilient-circuits' rules) | files |
//! | [`soar`] | SOAR REST client | network |
//! | [`plan`] | live org vs package → `Plan` | none |
//! | [`ops`] | check / install / diff / uninstall executing a `Plan` | network, files |
//! | [`attack`] | ATT&CK STIX index, bundle files and TAXII | files, network |
//! | [`runtime`] | the reference function runtime and the workflow engine | network, subprocess |
//! | [`emulate`] | the emulated QRadar / QRadar Advisor endpoints, used by `server` and `runtime` | network |
//! | [`server`] | the reference SOAR org (`respack serve`) | network, files |
//! | [`demo`] | `respack demo`: both README stories on an embedded org | network, files, subprocess |
//! | [`cli`] | clap definitions and one thin adapter per command | terminal |

pub mod appconfig;
pub mod attack;
pub mod civil;
pub mod cli;
pub mod demo;
pub mod emulate;
pub mod help;
pub mod http;
pub mod ops;
pub mod pack;
pub mod package;
pub mod plan;
pub mod res;
pub mod runtime;
pub mod secret;
pub mod server;
pub mod soar;
pub mod source;
pub mod tls;
pub mod validate;
