//! `respack fmt`: rewrite an export in the canonical form.
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{CmdResult, Exit};
use crate::res;

/// Rewrite any export in the canonical form of the build (sorted keys, 2-space indent, UTF-8,
/// trailing newline), losslessly: the output has the same JSON value as the input.
///
/// .resz and tar inputs are written out as a plain .res.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Export to rewrite: .res, .resz, .tar or .tar.gz
    pub file: PathBuf,
    /// Where to write (default: stdout); written atomically, nothing is written on error
    #[arg(short, long = "out", value_name = "OUT")]
    pub out: Option<PathBuf>,
    /// Also drop what changes on every export (server ids, timestamps, audit fields, version
    /// counters), so that an export kept in git diffs cleanly
    #[arg(long)]
    pub strip_volatile: bool,
}

pub fn run(args: Args) -> CmdResult {
    let doc = res::load(&args.file)?;
    let mut value = doc.parse_checked()?;
    if args.strip_volatile {
        res::strip_volatile(&mut value);
    }
    let text = res::canonical_value(&value)?;
    match &args.out {
        Some(out) => write_atomically(out, text.as_bytes())?,
        None => super::term::print(&text)?,
    }
    // The process exits right after: freeing the export value by value would cost a sizeable
    // part of the run, and the OS takes the memory back anyway.
    std::mem::forget(value);
    Ok(Exit::Success)
}

/// Write through a temporary file in the same directory and rename it into place, so a
/// failure never leaves a half-written export behind.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), res::ResError> {
    let err = |source| res::ResError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // A temporary file is created 0600; the export is no secret, so give it the mode a plain
    // write would (0666 less the umask), or keep the mode of the file it replaces.
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    // tempfile's own error names the temporary file, which the user never asked for.
    let mut tmp = builder.tempfile_in(dir).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "the directory does not exist".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            kind => kind.to_string(),
        };
        err(std::io::Error::new(
            e.kind(),
            format!("cannot create a file in {}: {why}", dir.display()),
        ))
    })?;
    if let Ok(existing) = std::fs::metadata(path) {
        tmp.as_file()
            .set_permissions(existing.permissions())
            .map_err(err)?;
    }
    tmp.write_all(bytes).map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}
