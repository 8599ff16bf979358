//! The one integration-test binary. Each area of the product has its own module.
//!
//! Tests that read the shared corpus find it beside the checkout (`../shared`) or where
//! `RESPACK_SHARED` points; without it they fail with a message saying so, never skip. Every
//! command a test runs gets a clean environment (`util::isolate`): no `RESPACK_*` variable, no
//! real home, no shared cache, so no test can reach a developer's org.

mod util;

mod appconfig;
mod attack;
mod bpmn;
mod build;
mod cli;
mod demo;
mod engine;
mod fmt;
mod ops;
mod package;
mod plan;
mod qradar;
mod res;
mod serve;
mod serve_limits;
mod show;
mod snapshot;
mod soar;
mod source;
mod validate;
mod web;
