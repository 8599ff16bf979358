//! `respack show`: the inventory of a resource file.
use std::path::PathBuf;

use super::{print_json, CmdResult, Exit, Format};
use crate::res::{self, Inventory};

/// List rules (with their object types and workflows), workflows (with the functions they call),
/// functions (with their destinations and inputs), data tables (with their columns), message
/// destinations and fields. No FILE: the built-in package.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// File to read: .res, .resz, .tar or .tar.gz
    pub file: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(args: Args) -> CmdResult {
    let model = match &args.file {
        Some(path) => res::read(path)?.1,
        None => crate::package::resource_file(crate::package::export_date_ms(None)),
    };
    let inventory = Inventory::of(&model);
    match args.format {
        Format::Json => print_json(&inventory)?,
        Format::Text => out!("{}", inventory.to_text())?,
    }
    Ok(Exit::Success)
}
