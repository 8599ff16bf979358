//! The one integration-test binary. Each area of the product has its own module.
//!
//! Tests that read `../shared` find it through `RESPACK_SHARED`; without it they print that they
//! were skipped, and with `RESPACK_REQUIRE_SHARED=1` a missing folder fails instead.

mod util;

mod attack;
mod bpmn;
mod build;
mod cli;
mod demo;
mod engine;
mod fmt;
mod ops;
mod plan;
mod qradar;
mod res;
mod serve;
mod show;
mod snapshot;
mod soar;
mod validate;
