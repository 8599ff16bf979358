//! `respack diff`: the install plan against one export of the org.
//!
//! The plan ([`Plan::install`]) is the very value `install` executes: per object create,
//! update, unchanged or conflict, package objects and dependency objects apart, with unified
//! diffs of the normalised JSON, scripts and workflow steps for updates.

use super::{export, OpsError, Package};
use crate::plan::Plan;
use crate::soar::Client;

/// The plan for installing `package` on the org `client` is connected to (one export).
pub fn diff(client: &Client, package: &Package) -> Result<Plan, OpsError> {
    let org = export(client)?;
    Ok(Plan::install(&package.res, package, &org))
}
