//! `respack unpack`: an export, or the built-in package, as a package source directory.
use std::path::PathBuf;

use super::{CmdResult, Exit};
use crate::res::ResError;
use crate::source::{self, Manifest};

/// Write an export (no FILE: the built-in package) as a source directory of reviewable files
///
/// One file per object, grouped by kind, named by the object's API name; scripts as .py,
/// workflow and playbook XML as .bpmn, the rest canonical JSON; and respack.toml with the
/// package's name, version and dependencies.
///
/// FILE is any export respack reads (.res in any serialisation, .resz, .tar, .tar.gz, an app
/// zip with its export.res); without FILE, the built-in package. `respack build DIR` builds it
/// back, byte-identical to `respack fmt FILE` (docs/SOURCE.md describes the layout). DIR must
/// not exist or be empty: unpack never overwrites a file.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Export to unpack (default: the built-in package)
    pub file: Option<PathBuf>,
    /// The source directory to create (new or empty)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(args: Args, env: &super::Environment) -> CmdResult {
    let readme: [(&str, &[u8]); 1] = [(
        source::BUILTIN_README,
        crate::package::ADMIN_README.as_bytes(),
    )];
    let (value, manifest, extras): (_, _, &[(&str, &[u8])]) = match &args.file {
        Some(file) => {
            let (doc, value) = source::read_export(file)?;
            let stem = source::export_stem(&doc, file);
            let manifest = Manifest::for_export(&source::package_name(&stem), &value);
            (value, manifest, &[])
        }
        None => {
            let source_date_epoch =
                crate::pack::source_date_epoch(env.source_date_epoch.as_deref())?;
            let export_date = crate::package::export_date_ms(source_date_epoch);
            let model = crate::package::resource_file(export_date);
            let value = serde_json::to_value(&model).map_err(ResError::Serialise)?;
            (value, Manifest::builtin(), &readme)
        }
    };
    let name = manifest.package.name.clone();
    let files = source::unpack(value, &manifest, extras)?;
    source::write(&args.out, &files)?;
    outln!(
        "unpacked {name} into {} ({} files)",
        args.out.display(),
        files.len()
    )?;
    Ok(Exit::Success)
}
