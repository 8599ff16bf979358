//! The install record: what an install of a package (read with `--package`) created on an org,
//! so that its uninstall removes exactly that, and nothing the org had before.
//!
//! A package carries objects it does not own: an integration's functions, message destinations
//! and function inputs, a data table another app created. Whether the org had them before the
//! install is a fact of the org's history, which no file can tell. So install writes it down:
//! `<org>-installed-<package>.json` in `--backup-dir`, beside the backups (the org's full export
//! before that install, which the record names, is the evidence behind it). It lists, by kind and
//! API name, the package's objects that this package's installs **created** and those the org
//! **already had** when it was installed. Each install updates it (an object a previous install
//! created and that is still there stays created), and each uninstall takes out what it removed.
//!
//! Uninstall of a package read from a path ([`super::Provenance`]) removes:
//! - what the record says the package's installs created, owned or dependency alike (so an
//!   integration's own export, installed on an org that did not have it, goes away whole);
//! - for a source directory, also the objects its manifest says it owns, unless the record says
//!   the org had them before;
//! - nothing else. What the record says the org had is left alone, silently: it is not the
//!   package's. Without a record, dependency objects (and, for a bare export, whose ownership
//!   is only inferred, its data tables and fields too) are kept and listed with the reason, and
//!   uninstall exits 1: a wrong guess errs on keeping.
//!
//! The record is a plain JSON file a person can read, and delete to make uninstall fall back
//! to the package's declared ownership.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{backup, Identity, OpsError};
use crate::plan::{Action, Plan};
use crate::res::Kind;

/// One object of a record: its list key in a resource file (`functions`, `types`, ...) and
/// API name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RecordedObject {
    pub list: String,
    pub name: String,
}

impl RecordedObject {
    fn new(kind: Kind, name: &str) -> Self {
        RecordedObject {
            list: kind.list_key().to_string(),
            name: name.to_string(),
        }
    }
}

/// What the file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallRecord {
    /// What the file is, for whoever opens it.
    pub about: String,
    pub org: String,
    pub package: String,
    pub version: String,
    /// The backup the last install wrote before changing the org.
    pub backup: Option<PathBuf>,
    /// The package's objects its installs created, still on the org as far as respack knows.
    pub created: BTreeSet<RecordedObject>,
    /// The package's objects the org already had when it was installed: never removed.
    pub found: BTreeSet<RecordedObject>,
}

const ABOUT: &str = "respack install record: which of the package's objects its installs created \
                     on the org (uninstall removes those) and which the org already had (never \
                     removed). Delete this file to make uninstall go by the package's declared \
                     ownership alone.";

impl InstallRecord {
    /// Whether the package's installs created this object.
    pub fn created(&self, kind: Kind, name: &str) -> bool {
        self.created.contains(&RecordedObject::new(kind, name))
    }

    /// Whether the org had this object before the package was installed.
    pub fn found(&self, kind: Kind, name: &str) -> bool {
        self.found.contains(&RecordedObject::new(kind, name))
    }

    /// The record after an install that carried out `plan` (computed on the org as it was
    /// before): what it created, plus what an earlier install created and is still there.
    pub fn after_install(
        previous: Option<&InstallRecord>,
        identity: &Identity,
        org: &str,
        plan: &Plan,
        backup: Option<PathBuf>,
    ) -> InstallRecord {
        let mut created = BTreeSet::new();
        let mut found = BTreeSet::new();
        for c in &plan.changes {
            if c.uuid
                .as_deref()
                .is_some_and(|u| super::INTERNAL_UUIDS.contains(&u))
            {
                continue;
            }
            let o = RecordedObject::new(c.kind, &c.name);
            match c.action {
                Action::Create => {
                    created.insert(o);
                }
                Action::Absent => {}
                _ if previous.is_some_and(|p| p.created.contains(&o)) => {
                    created.insert(o);
                }
                _ => {
                    found.insert(o);
                }
            }
        }
        InstallRecord {
            about: ABOUT.into(),
            org: org.into(),
            package: identity.name.clone(),
            version: identity.version.clone(),
            backup,
            created,
            found,
        }
    }

    /// Take out what an uninstall removed.
    pub fn after_uninstall(mut self, removed: &[(Kind, String)]) -> InstallRecord {
        for (kind, name) in removed {
            self.created.remove(&RecordedObject::new(*kind, name));
        }
        self
    }
}

/// The record's path for `package` on `org`.
pub fn path(dir: &Path, org: &str, package: &str) -> PathBuf {
    dir.join(format!(
        "{}-installed-{}.json",
        backup::file_safe(org),
        backup::file_safe(package)
    ))
}

/// Read the record, if there is one. A record that cannot be read is an error, not "none":
/// treating it as missing would quietly change what uninstall removes.
pub fn read(dir: &Path, org: &str, package: &str) -> Result<Option<InstallRecord>, OpsError> {
    let path = path(dir, org, package);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(OpsError::Record { path, source }),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| OpsError::Record {
            path,
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })
}

/// Write the record (through a temporary file and a rename: never half a record).
pub fn write(dir: &Path, record: &InstallRecord) -> Result<PathBuf, OpsError> {
    let path = path(dir, &record.org, &record.package);
    let io = |source| OpsError::Record {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let text = serde_json::to_string_pretty(record).map_err(|e| io(e.into()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    std::io::Write::write_all(&mut tmp, format!("{text}\n").as_bytes()).map_err(io)?;
    tmp.persist(&path).map_err(|e| io(e.error))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Change, Owner};

    fn change(kind: Kind, name: &str, action: Action) -> Change {
        Change {
            kind,
            name: name.into(),
            uuid: None,
            owner: Owner::Package,
            action,
            org_id: None,
            org_uuid: None,
            reason: None,
            used_by: vec![],
            diffs: vec![],
            kept_because: None,
        }
    }

    fn identity() -> Identity {
        Identity {
            name: "pkg".into(),
            version: "1".into(),
            provenance: super::super::Provenance::Inferred,
            path: "pkg.res".into(),
        }
    }

    #[test]
    fn an_install_records_what_it_created_and_what_the_org_had() {
        let plan = Plan {
            changes: vec![
                change(Kind::Function, "f", Action::Create),
                change(Kind::DataTable, "t", Action::Unchanged),
            ],
        };
        let r = InstallRecord::after_install(None, &identity(), "Org", &plan, None);
        assert!(r.created(Kind::Function, "f"));
        assert!(!r.created(Kind::DataTable, "t"));
        assert!(r.found(Kind::DataTable, "t"));
    }

    #[test]
    fn a_reinstall_keeps_what_the_first_install_created() {
        let first = Plan {
            changes: vec![change(Kind::Function, "f", Action::Create)],
        };
        let r1 = InstallRecord::after_install(None, &identity(), "Org", &first, None);
        let second = Plan {
            changes: vec![
                change(Kind::Function, "f", Action::Update),
                change(Kind::Rule, "r", Action::Create),
            ],
        };
        let r2 = InstallRecord::after_install(Some(&r1), &identity(), "Org", &second, None);
        assert!(r2.created(Kind::Function, "f"), "{r2:?}");
        assert!(r2.created(Kind::Rule, "r"));
        assert!(r2.found.is_empty());
        let r3 = r2.after_uninstall(&[(Kind::Function, "f".into())]);
        assert!(!r3.created(Kind::Function, "f"));
        assert!(r3.created(Kind::Rule, "r"));
    }

    #[test]
    fn a_record_round_trips_and_a_damaged_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let plan = Plan {
            changes: vec![change(Kind::Function, "f", Action::Create)],
        };
        let r = InstallRecord::after_install(None, &identity(), "My Org", &plan, None);
        let p = write(dir.path(), &r).unwrap();
        assert_eq!(read(dir.path(), "My Org", "pkg").unwrap(), Some(r));
        assert_eq!(read(dir.path(), "My Org", "other").unwrap(), None);
        std::fs::write(&p, "{not json").unwrap();
        let e = read(dir.path(), "My Org", "pkg").unwrap_err();
        assert!(e.to_string().contains(&p.display().to_string()), "{e}");
    }
}
