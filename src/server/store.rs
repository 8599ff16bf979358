//! The reference org's state, all of it in one SQLite file (`--db`), so an org survives a
//! restart: orgs, users, API keys, sessions, configuration objects, pending imports, export
//! history, incidents, data table rows and tasks.
//!
//! Configuration objects are stored as the JSON the `.res` carries, next to the columns SOAR
//! matches them on (kind, uuid, API name) and the server `id` assigned here.
//!
//! Secrets: the database keeps only what verifying them needs. API key secrets and passwords
//! are stored as salted, iterated SHA-256 hashes, session tokens as their SHA-256 (they are
//! random, so no salt is needed), and a session's csrf token is not stored at all: it is derived
//! from the session token the client sends. A secret is therefore known only when it is made,
//! which is why every start of `respack serve` issues the app.config it writes a fresh API key
//! and admin password ([`Store::issue_api_key`], [`Store::set_password`]) instead of reading
//! old ones back. Deleted rows are overwritten (`secure_delete`), so a dropped secret does not
//! linger in free pages. Nothing here logs them.
//!
//! Expiry: sessions end after a time without use ([`Store::session`]) and PENDING imports, with
//! the `.res` they hold, expire ([`Store::expire_imports`]); both take the time as an argument,
//! so the server's [`super::limits::Clock`] decides what "now" is.

use std::path::Path;

use rand::Rng;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::kinds::Kind;

/// A storage failure: SQLite itself, or a stored JSON document that no longer parses.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("stored {what} is not valid JSON: {source}")]
    Corrupt {
        what: String,
        source: serde_json::Error,
    },
    #[error("the database was written by a newer respack (schema {found}, this build reads {supported})")]
    Schema { found: i64, supported: i64 },
    #[error("{}", file_problem(.0))]
    File(std::io::Error),
}

/// Why the database file cannot be opened, in the user's terms.
fn file_problem(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "its folder does not exist".into(),
        std::io::ErrorKind::IsADirectory => "it is a directory".into(),
        std::io::ErrorKind::PermissionDenied => {
            "permission denied (it must be readable and writable)".into()
        }
        _ => e.to_string(),
    }
}

impl crate::help::Help for StoreError {
    fn help(&self) -> Option<String> {
        Some("point --db at a new file to start a fresh org".into())
    }
}

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// Server id of an org (`/rest/orgs/{id}`).
    OrgId
);
id_type!(
    /// Server id of a configuration object (any kind; ids are unique across kinds).
    ObjectId
);
id_type!(
    /// Server id of an incident.
    IncidentId
);
id_type!(
    /// Server id of an import (`/configurations/imports/{id}`).
    ImportId
);
id_type!(
    /// Server id of a user.
    UserId
);

/// The schema version this build writes; bumped with every incompatible change.
const SCHEMA_VERSION: i64 = 2;

/// From schema 1, which kept the API key secret, the admin password and session tokens in
/// plaintext: drop those columns and the sessions (their users log in again).
const MIGRATE_1_TO_2: &str = r#"
ALTER TABLE api_keys DROP COLUMN secret;
ALTER TABLE users DROP COLUMN password;
DROP TABLE IF EXISTS sessions;
"#;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orgs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    uuid TEXT NOT NULL,
    created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    fname TEXT NOT NULL,
    lname TEXT NOT NULL,
    password_salt TEXT NOT NULL,
    password_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS memberships (
    user_id INTEGER NOT NULL REFERENCES users(id),
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    PRIMARY KEY (user_id, org_id));
CREATE TABLE IF NOT EXISTS api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key_id TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created INTEGER NOT NULL,
    last_used INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    kind TEXT NOT NULL,
    uuid TEXT,
    api_name TEXT NOT NULL,
    body TEXT NOT NULL,
    version INTEGER NOT NULL,
    modified INTEGER NOT NULL,
    UNIQUE (org_id, kind, api_name));
CREATE INDEX IF NOT EXISTS objects_by_uuid ON objects (org_id, kind, uuid);
CREATE TABLE IF NOT EXISTS imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    status TEXT NOT NULL,
    created INTEGER NOT NULL,
    res TEXT,
    dto TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS exports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    date INTEGER NOT NULL,
    options TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS table_rows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    table_name TEXT NOT NULL,
    cells TEXT NOT NULL,
    version INTEGER NOT NULL,
    created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS incident_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    kind TEXT NOT NULL,
    body TEXT NOT NULL);
"#;

/// An org as the session and org endpoints describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub id: OrgId,
    pub name: String,
    pub uuid: String,
}

/// An API key's id and secret, as an app.config carries them. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: String,
    pub secret: String,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKey")
            .field("id", &self.id)
            .field("secret", &"<hidden>")
            .finish()
    }
}

/// A verified API key: its principal handle (`api_key_handle`) and the one org it reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPrincipal {
    pub handle: i64,
    pub key_id: String,
    pub name: String,
    pub org_id: OrgId,
}

/// A user account (email/password login).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub fname: String,
    pub lname: String,
}

/// One stored configuration object.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredObject {
    pub id: ObjectId,
    pub kind: Kind,
    pub uuid: Option<String>,
    pub api_name: String,
    pub body: Value,
    pub version: i64,
}

/// The store: one SQLite connection. Callers serialise access (the server keeps it behind a
/// mutex); writes that belong together go through [`Store::transaction`].
pub struct Store {
    conn: Connection,
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A random token of `bytes` random bytes, URL-safe base64 without padding.
pub fn random_token(bytes: usize) -> String {
    use base64::Engine;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill(buf.as_mut_slice());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// SHA-256 of a random token, hex: what the database keeps of a session token.
fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The csrf token of the session whose token is `token` (what `X-sess-id` must carry).
/// Derived rather than stored, so the database holds nothing a client could replay.
pub fn csrf_for(token: &str) -> String {
    use base64::Engine;
    let digest = Sha256::digest(format!("csrf:{token}").as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
}

fn hash_secret(salt: &str, secret: &str) -> String {
    // Salted and iterated so a copied database does not hand out secrets by table lookup; a
    // local test org does not need a memory-hard hash.
    let mut digest = Sha256::digest(format!("{salt}:{secret}").as_bytes());
    for _ in 0..1000 {
        digest = Sha256::digest(digest);
    }
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compare without an early exit, so timing does not tell how much of a hash or token matched.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn parse_json(what: impl Into<String>, text: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|source| StoreError::Corrupt {
        what: what.into(),
        source,
    })
}

impl Store {
    /// Open (creating if needed) the database at `path` and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        // The file holds the TLS private key and the secrets' hashes: create it readable by its
        // owner only. An existing file keeps its mode; SQLite gives its journal files the
        // database's mode. Opening it here first also names what is wrong with the path
        // (SQLite only says "unable to open database file").
        let mut file = std::fs::OpenOptions::new();
        file.read(true).write(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            file.mode(0o600);
        }
        if path.is_dir() {
            return Err(StoreError::File(std::io::Error::from(
                std::io::ErrorKind::IsADirectory,
            )));
        }
        file.open(path).map_err(StoreError::File)?;
        let conn = Connection::open(path)?;
        Store::init(conn)
    }

    /// A database that lives only in memory (tests).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Store::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Store, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Deleted secrets (expired sessions, pruned keys, migrated columns) are overwritten.
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
        )?;
        let store = Store { conn };
        let found = store
            .meta("schema_version")?
            .map(|v| v.parse::<i64>().unwrap_or(i64::MAX));
        if let Some(found) = found.filter(|f| *f > SCHEMA_VERSION) {
            return Err(StoreError::Schema {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found == Some(1) {
            store.conn.execute_batch(MIGRATE_1_TO_2)?;
        }
        store.conn.execute_batch(SCHEMA)?;
        if found != Some(SCHEMA_VERSION) {
            store.set_meta("schema_version", &SCHEMA_VERSION.to_string())?;
        }
        Ok(store)
    }

    /// Run `f` in one SQLite transaction: committed when `f` returns `Ok`, rolled back otherwise.
    pub fn transaction<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = self.conn.transaction().map_err(StoreError::from)?;
        let mut tx = Tx { tx };
        let out = f(&mut tx)?;
        tx.tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    // ---- orgs, users, keys, sessions ------------------------------------------------------

    pub fn create_org(&self, name: &str) -> Result<Org, StoreError> {
        let uuid = uuid::Uuid::new_v4().to_string();
        self.conn.execute(
            "INSERT INTO orgs (name, uuid, created) VALUES (?1, ?2, ?3)",
            params![name, uuid, now_ms()],
        )?;
        Ok(Org {
            id: OrgId(self.conn.last_insert_rowid()),
            name: name.to_string(),
            uuid,
        })
    }

    fn org_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Org> {
        Ok(Org {
            id: OrgId(r.get(0)?),
            name: r.get(1)?,
            uuid: r.get(2)?,
        })
    }

    pub fn org(&self, id: OrgId) -> Result<Option<Org>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, name, uuid FROM orgs WHERE id = ?1",
                [id.0],
                Store::org_from_row,
            )
            .optional()?)
    }

    pub fn org_by_name(&self, name: &str) -> Result<Option<Org>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, name, uuid FROM orgs WHERE name = ?1",
                [name],
                Store::org_from_row,
            )
            .optional()?)
    }

    /// A new API key for `org`; the secret is returned this once and stored only hashed.
    pub fn create_api_key(&self, org: OrgId, name: &str) -> Result<ApiKey, StoreError> {
        let key = ApiKey {
            id: uuid::Uuid::new_v4().to_string(),
            secret: random_token(32),
        };
        self.conn.execute(
            "INSERT INTO api_keys (key_id, secret_hash, org_id, name, created)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                key.id,
                hash_secret(&key.id, &key.secret),
                org.0,
                name,
                now_ms()
            ],
        )?;
        Ok(key)
    }

    /// A new API key named `name` for `org`, revoking the older keys of that name beyond the
    /// newest `keep` (this one included): `respack serve` issues one per start, so the
    /// app.configs of the last few starts keep working and older ones stop.
    pub fn issue_api_key(&self, org: OrgId, name: &str, keep: usize) -> Result<ApiKey, StoreError> {
        let key = self.create_api_key(org, name)?;
        self.conn.execute(
            "DELETE FROM api_keys WHERE org_id = ?1 AND name = ?2 AND id NOT IN
             (SELECT id FROM api_keys WHERE org_id = ?1 AND name = ?2 ORDER BY id DESC LIMIT ?3)",
            params![org.0, name, i64::try_from(keep.max(1)).unwrap_or(i64::MAX)],
        )?;
        Ok(key)
    }

    /// How many API keys `org` has.
    pub fn api_key_count(&self, org: OrgId) -> Result<usize, StoreError> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM api_keys WHERE org_id = ?1",
            [org.0],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or_default())
    }

    /// The key's principal when `secret` is right for `key_id`.
    pub fn verify_api_key(
        &self,
        key_id: &str,
        secret: &str,
    ) -> Result<Option<KeyPrincipal>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT id, key_id, secret_hash, name, org_id FROM api_keys WHERE key_id = ?1",
                [key_id],
                |r| {
                    Ok((
                        KeyPrincipal {
                            handle: r.get(0)?,
                            key_id: r.get(1)?,
                            name: r.get(3)?,
                            org_id: OrgId(r.get(4)?),
                        },
                        r.get::<_, String>(2)?,
                    ))
                },
            )
            .optional()?;
        Ok(row.and_then(|(p, hash)| same(&hash, &hash_secret(key_id, secret)).then_some(p)))
    }

    pub fn create_user(
        &self,
        email: &str,
        password: &str,
        fname: &str,
        lname: &str,
    ) -> Result<User, StoreError> {
        let salt = random_token(12);
        self.conn.execute(
            "INSERT INTO users (email, fname, lname, password_salt, password_hash)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![email, fname, lname, salt, hash_secret(&salt, password)],
        )?;
        Ok(User {
            id: UserId(self.conn.last_insert_rowid()),
            email: email.into(),
            fname: fname.into(),
            lname: lname.into(),
        })
    }

    pub fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, email, fname, lname FROM users WHERE email = ?1 COLLATE NOCASE",
                [email],
                Store::user_from_row,
            )
            .optional()?)
    }

    pub fn add_membership(&self, user: UserId, org: OrgId) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO memberships (user_id, org_id) VALUES (?1, ?2)",
            params![user.0, org.0],
        )?;
        Ok(())
    }

    fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
        Ok(User {
            id: UserId(r.get(0)?),
            email: r.get(1)?,
            fname: r.get(2)?,
            lname: r.get(3)?,
        })
    }

    pub fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, email, fname, lname FROM users WHERE id = ?1",
                [id.0],
                Store::user_from_row,
            )
            .optional()?)
    }

    /// The first user who is a member of `org`.
    pub fn first_user_of(&self, org: OrgId) -> Result<Option<User>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT u.id, u.email, u.fname, u.lname FROM users u
                 JOIN memberships m ON m.user_id = u.id WHERE m.org_id = ?1 ORDER BY u.id LIMIT 1",
                [org.0],
                Store::user_from_row,
            )
            .optional()?)
    }

    /// Give `user` a new password (stored only hashed, with a new salt).
    pub fn set_password(&self, user: UserId, password: &str) -> Result<(), StoreError> {
        let salt = random_token(12);
        self.conn.execute(
            "UPDATE users SET password_salt = ?2, password_hash = ?3 WHERE id = ?1",
            params![user.0, salt, hash_secret(&salt, password)],
        )?;
        Ok(())
    }

    pub fn verify_password(&self, email: &str, password: &str) -> Result<Option<User>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT id, email, fname, lname, password_salt, password_hash FROM users
                 WHERE email = ?1 COLLATE NOCASE",
                [email],
                |r| {
                    Ok((
                        Store::user_from_row(r)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )
            .optional()?;
        Ok(row.and_then(|(u, salt, hash)| same(&hash, &hash_secret(&salt, password)).then_some(u)))
    }

    pub fn user_orgs(&self, user: UserId) -> Result<Vec<Org>, StoreError> {
        let mut st = self.conn.prepare(
            "SELECT o.id, o.name, o.uuid FROM orgs o JOIN memberships m ON m.org_id = o.id
             WHERE m.user_id = ?1 ORDER BY o.id",
        )?;
        let orgs = st
            .query_map([user.0], Store::org_from_row)?
            .collect::<Result<_, _>>()?;
        Ok(orgs)
    }

    pub fn org_users(&self, org: OrgId) -> Result<Vec<User>, StoreError> {
        let mut st = self.conn.prepare(
            "SELECT u.id, u.email, u.fname, u.lname FROM users u JOIN memberships m
             ON m.user_id = u.id WHERE m.org_id = ?1 ORDER BY u.id",
        )?;
        let users = st
            .query_map([org.0], Store::user_from_row)?
            .collect::<Result<_, _>>()?;
        Ok(users)
    }

    /// A new login session at `now` (ms): `(JSESSIONID value, csrf token)`. Sessions unused
    /// for `idle_ms` are dropped on the way, so abandoned ones do not pile up.
    pub fn create_session(
        &self,
        user: UserId,
        now: i64,
        idle_ms: i64,
    ) -> Result<(String, String), StoreError> {
        self.conn.execute(
            "DELETE FROM sessions WHERE last_used < ?1",
            [now.saturating_sub(idle_ms)],
        )?;
        let token = random_token(24);
        self.conn.execute(
            "INSERT INTO sessions (token_hash, user_id, created, last_used) VALUES (?1, ?2, ?3, ?3)",
            params![hash_token(&token), user.0, now],
        )?;
        let csrf = csrf_for(&token);
        Ok((token, csrf))
    }

    /// The user behind the session `token` ([`Store::session`]), with the orgs they belong to and
    /// the session's csrf token: what both the REST API and the pages need to know of a caller.
    pub fn session_user(
        &self,
        token: &str,
        now: i64,
        idle_ms: i64,
    ) -> Result<Option<(User, Vec<Org>, String)>, StoreError> {
        let Some((user_id, csrf)) = self.session(token, now, idle_ms)? else {
            return Ok(None);
        };
        let Some(user) = self.user(user_id)? else {
            return Ok(None);
        };
        Ok(Some((user, self.user_orgs(user_id)?, csrf)))
    }

    /// The user and csrf token of the session `token`, when it was used within `idle_ms` of
    /// `now`; using it counts as use. An expired session is deleted.
    pub fn session(
        &self,
        token: &str,
        now: i64,
        idle_ms: i64,
    ) -> Result<Option<(UserId, String)>, StoreError> {
        let hash = hash_token(token);
        let row: Option<(i64, i64)> = self
            .conn
            .query_row(
                "SELECT user_id, last_used FROM sessions WHERE token_hash = ?1",
                [&hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((user, last_used)) = row else {
            return Ok(None);
        };
        if now.saturating_sub(last_used) > idle_ms {
            self.conn
                .execute("DELETE FROM sessions WHERE token_hash = ?1", [&hash])?;
            return Ok(None);
        }
        self.conn.execute(
            "UPDATE sessions SET last_used = ?2 WHERE token_hash = ?1",
            params![hash, now],
        )?;
        Ok(Some((UserId(user), csrf_for(token))))
    }

    pub fn delete_session(&self, token: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "DELETE FROM sessions WHERE token_hash = ?1",
            [hash_token(token)],
        )?;
        Ok(())
    }

    // ---- configuration objects ------------------------------------------------------------

    /// Every object of `kind` in `org`, in creation order.
    pub fn objects(&self, org: OrgId, kind: Kind) -> Result<Vec<StoredObject>, StoreError> {
        objects(&self.conn, org, kind)
    }

    /// The object of `kind` whose id (when `handle` is a number) or API name is `handle`.
    pub fn find_object(
        &self,
        org: OrgId,
        kind: Kind,
        handle: &str,
    ) -> Result<Option<StoredObject>, StoreError> {
        if let Ok(id) = handle.parse::<i64>() {
            if let Some(o) = object_where(&self.conn, org, kind, "id = ?3", &id)? {
                return Ok(Some(o));
            }
        }
        object_where(&self.conn, org, kind, "api_name = ?3", &handle.trim())
    }

    pub fn find_by_uuid(
        &self,
        org: OrgId,
        kind: Kind,
        uuid: &str,
    ) -> Result<Option<StoredObject>, StoreError> {
        object_where(&self.conn, org, kind, "uuid = ?3", &uuid)
    }

    pub fn delete_object(&self, org: OrgId, id: ObjectId) -> Result<bool, StoreError> {
        Ok(self.conn.execute(
            "DELETE FROM objects WHERE org_id = ?1 AND id = ?2",
            params![org.0, id.0],
        )? > 0)
    }

    /// Replace an object's body (PUT on an object endpoint).
    pub fn update_object_body(
        &self,
        org: OrgId,
        id: ObjectId,
        body: &Value,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE objects SET body = ?3, version = version + 1, modified = ?4
             WHERE org_id = ?1 AND id = ?2",
            params![org.0, id.0, body.to_string(), now_ms()],
        )?;
        Ok(())
    }

    // ---- imports and export history -------------------------------------------------------

    /// Record a PENDING import made at `created` (ms), holding its `.res` until it is accepted,
    /// rejected or expired.
    pub fn insert_import(
        &self,
        org: OrgId,
        res: &Value,
        dto: &Value,
        created: i64,
    ) -> Result<ImportId, StoreError> {
        self.conn.execute(
            "INSERT INTO imports (org_id, status, created, res, dto) VALUES (?1, 'PENDING', ?2, ?3, ?4)",
            params![org.0, created, res.to_string(), dto.to_string()],
        )?;
        Ok(ImportId(self.conn.last_insert_rowid()))
    }

    /// Expire the imports PENDING since before `now - ttl_ms`: status EXPIRED (in the DTO too)
    /// and their `.res` dropped. Returns how many expired.
    pub fn expire_imports(&self, now: i64, ttl_ms: i64) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "UPDATE imports SET status = 'EXPIRED', res = NULL,
             dto = json_set(dto, '$.status', 'EXPIRED')
             WHERE status = 'PENDING' AND created < ?1",
            [now.saturating_sub(ttl_ms)],
        )?)
    }

    /// An import's status, its `.res` (kept while PENDING) and its DTO.
    pub fn import(
        &self,
        org: OrgId,
        id: ImportId,
    ) -> Result<Option<(String, Option<Value>, Value)>, StoreError> {
        let row: Option<(String, Option<String>, String)> = self
            .conn
            .query_row(
                "SELECT status, res, dto FROM imports WHERE org_id = ?1 AND id = ?2",
                params![org.0, id.0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((status, res, dto)) = row else {
            return Ok(None);
        };
        let res = res
            .map(|t| parse_json(format!("import {id}"), &t))
            .transpose()?;
        Ok(Some((
            status,
            res,
            parse_json(format!("import {id}"), &dto)?,
        )))
    }

    /// The org's imports, newest first: `(id, status, DTO)` (Import History in the web pages).
    pub fn imports(&self, org: OrgId) -> Result<Vec<(ImportId, String, Value)>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT id, status, dto FROM imports WHERE org_id = ?1 ORDER BY id DESC")?;
        let rows: Vec<(i64, String, String)> = st
            .query_map([org.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(id, status, dto)| {
                Ok((
                    ImportId(id),
                    status,
                    parse_json(format!("import {id}"), &dto)?,
                ))
            })
            .collect()
    }

    /// Replace a PENDING import's DTO (it names its own id, known only after the insert).
    pub fn finish_import_dto(
        &self,
        org: OrgId,
        id: ImportId,
        dto: &Value,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE imports SET dto = ?3 WHERE org_id = ?1 AND id = ?2",
            params![org.0, id.0, dto.to_string()],
        )?;
        Ok(())
    }

    /// Close an import: its final status and DTO; the `.res` is dropped.
    pub fn finish_import(
        &self,
        org: OrgId,
        id: ImportId,
        status: &str,
        dto: &Value,
    ) -> Result<(), StoreError> {
        finish_import(&self.conn, org, id, status, dto)
    }

    pub fn record_export(&self, org: OrgId, options: &Value) -> Result<(i64, i64), StoreError> {
        let date = now_ms();
        self.conn.execute(
            "INSERT INTO exports (org_id, date, options) VALUES (?1, ?2, ?3)",
            params![org.0, date, options.to_string()],
        )?;
        Ok((self.conn.last_insert_rowid(), date))
    }

    pub fn export_history(&self, org: OrgId) -> Result<Vec<(i64, i64, Value)>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT id, date, options FROM exports WHERE org_id = ?1 ORDER BY id")?;
        let rows: Vec<(i64, i64, String)> = st
            .query_map([org.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(id, date, o)| Ok((id, date, parse_json(format!("export {id}"), &o)?)))
            .collect()
    }

    // ---- incidents, rows, tasks -----------------------------------------------------------

    /// Insert an incident; `make` receives the new id and returns the body to store.
    pub fn insert_incident(
        &mut self,
        org: OrgId,
        make: impl FnOnce(IncidentId) -> Value,
    ) -> Result<Value, StoreError> {
        self.transaction(|tx| {
            tx.tx.execute(
                "INSERT INTO incidents (org_id, body) VALUES (?1, '{}')",
                [org.0],
            )?;
            let id = IncidentId(tx.tx.last_insert_rowid());
            let body = make(id);
            tx.tx.execute(
                "UPDATE incidents SET body = ?2 WHERE id = ?1",
                params![id.0, body.to_string()],
            )?;
            Ok::<_, StoreError>(body)
        })
    }

    pub fn incident(&self, org: OrgId, id: IncidentId) -> Result<Option<Value>, StoreError> {
        let body: Option<String> = self
            .conn
            .query_row(
                "SELECT body FROM incidents WHERE org_id = ?1 AND id = ?2",
                params![org.0, id.0],
                |r| r.get(0),
            )
            .optional()?;
        body.map(|b| parse_json(format!("incident {id}"), &b))
            .transpose()
    }

    /// The org's incidents, oldest first (the web pages' incident list).
    pub fn incidents(&self, org: OrgId) -> Result<Vec<Value>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT id, body FROM incidents WHERE org_id = ?1 ORDER BY id")?;
        let rows: Vec<(i64, String)> = st
            .query_map([org.0], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(id, b)| parse_json(format!("incident {id}"), &b))
            .collect()
    }

    pub fn update_incident(
        &self,
        org: OrgId,
        id: IncidentId,
        body: &Value,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE incidents SET body = ?3 WHERE org_id = ?1 AND id = ?2",
            params![org.0, id.0, body.to_string()],
        )?;
        Ok(())
    }

    pub fn delete_incident(&mut self, org: OrgId, id: IncidentId) -> Result<bool, StoreError> {
        self.transaction(|tx| {
            tx.tx.execute(
                "DELETE FROM table_rows WHERE org_id = ?1 AND incident_id = ?2",
                params![org.0, id.0],
            )?;
            tx.tx.execute(
                "DELETE FROM tasks WHERE org_id = ?1 AND incident_id = ?2",
                params![org.0, id.0],
            )?;
            tx.tx.execute(
                "DELETE FROM incident_items WHERE org_id = ?1 AND incident_id = ?2",
                params![org.0, id.0],
            )?;
            Ok::<_, StoreError>(
                tx.tx.execute(
                    "DELETE FROM incidents WHERE org_id = ?1 AND id = ?2",
                    params![org.0, id.0],
                )? > 0,
            )
        })
    }

    /// Add a data table row; returns `(row id, created ms)`.
    pub fn insert_row(
        &self,
        org: OrgId,
        incident: IncidentId,
        table: &str,
        cells: &Value,
    ) -> Result<(i64, i64), StoreError> {
        let now = now_ms();
        self.conn.execute(
            "INSERT INTO table_rows (org_id, incident_id, table_name, cells, version, created)
             VALUES (?1, ?2, ?3, ?4, 1, ?5)",
            params![org.0, incident.0, table, cells.to_string(), now],
        )?;
        Ok((self.conn.last_insert_rowid(), now))
    }

    /// Rows of one table on one incident: `(row id, cells, version)`.
    pub fn rows(
        &self,
        org: OrgId,
        incident: IncidentId,
        table: &str,
    ) -> Result<Vec<(i64, Value, i64)>, StoreError> {
        let mut st = self.conn.prepare(
            "SELECT id, cells, version FROM table_rows
             WHERE org_id = ?1 AND incident_id = ?2 AND table_name = ?3 ORDER BY id",
        )?;
        let rows: Vec<(i64, String, i64)> = st
            .query_map(params![org.0, incident.0, table], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(id, c, v)| Ok((id, parse_json(format!("row {id}"), &c)?, v)))
            .collect()
    }

    /// Replace a row's cells; false when there is no such row.
    pub fn update_row(
        &self,
        org: OrgId,
        incident: IncidentId,
        table: &str,
        row: i64,
        cells: &Value,
    ) -> Result<bool, StoreError> {
        Ok(self.conn.execute(
            "UPDATE table_rows SET cells = ?5, version = version + 1
             WHERE org_id = ?1 AND incident_id = ?2 AND table_name = ?3 AND id = ?4",
            params![org.0, incident.0, table, row, cells.to_string()],
        )? > 0)
    }

    pub fn delete_row(
        &self,
        org: OrgId,
        incident: IncidentId,
        table: &str,
        row: i64,
    ) -> Result<bool, StoreError> {
        Ok(self.conn.execute(
            "DELETE FROM table_rows WHERE org_id = ?1 AND incident_id = ?2 AND table_name = ?3 AND id = ?4",
            params![org.0, incident.0, table, row],
        )? > 0)
    }

    /// Rows of the named data tables on every incident of the org, for the search endpoint:
    /// `(row id, incident id, table, cells)`, oldest first.
    pub fn rows_in_tables(
        &self,
        org: OrgId,
        tables: &[String],
    ) -> Result<Vec<(i64, i64, String, Value)>, StoreError> {
        let mut st = self.conn.prepare(
            "SELECT id, incident_id, table_name, cells FROM table_rows
             WHERE org_id = ?1 ORDER BY id",
        )?;
        let rows: Vec<(i64, i64, String, String)> = st
            .query_map(params![org.0], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .filter(|(_, _, t, _)| tables.is_empty() || tables.contains(t))
            .map(|(id, inc, t, c)| Ok((id, inc, t, parse_json(format!("row {id}"), &c)?)))
            .collect()
    }

    /// Drop every row of a data table (the table itself is gone).
    pub fn delete_table_rows(&self, org: OrgId, table: &str) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "DELETE FROM table_rows WHERE org_id = ?1 AND table_name = ?2",
            params![org.0, table],
        )?)
    }

    /// Insert a task; `make` receives the new id and returns the body to store.
    pub fn insert_task(
        &mut self,
        org: OrgId,
        incident: IncidentId,
        make: impl FnOnce(i64) -> Value,
    ) -> Result<Value, StoreError> {
        self.transaction(|tx| {
            tx.tx.execute(
                "INSERT INTO tasks (org_id, incident_id, body) VALUES (?1, ?2, '{}')",
                params![org.0, incident.0],
            )?;
            let id = tx.tx.last_insert_rowid();
            let body = make(id);
            tx.tx.execute(
                "UPDATE tasks SET body = ?2 WHERE id = ?1",
                params![id, body.to_string()],
            )?;
            Ok::<_, StoreError>(body)
        })
    }

    pub fn tasks(&self, org: OrgId, incident: IncidentId) -> Result<Vec<Value>, StoreError> {
        let mut st = self.conn.prepare(
            "SELECT id, body FROM tasks WHERE org_id = ?1 AND incident_id = ?2 ORDER BY id",
        )?;
        let rows: Vec<(i64, String)> = st
            .query_map(params![org.0, incident.0], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(id, b)| parse_json(format!("task {id}"), &b))
            .collect()
    }

    pub fn task(&self, org: OrgId, id: i64) -> Result<Option<Value>, StoreError> {
        let body: Option<String> = self
            .conn
            .query_row(
                "SELECT body FROM tasks WHERE org_id = ?1 AND id = ?2",
                params![org.0, id],
                |r| r.get(0),
            )
            .optional()?;
        body.map(|b| parse_json(format!("task {id}"), &b))
            .transpose()
    }
}

// ---- artifacts and notes (incident items) ----------------------------------------------------

/// What else an incident holds besides rows and tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Artifact,
    /// A note (SOAR's REST API calls them comments).
    Comment,
}

impl ItemKind {
    fn as_str(self) -> &'static str {
        match self {
            ItemKind::Artifact => "artifact",
            ItemKind::Comment => "comment",
        }
    }
}

impl Store {
    /// Insert an artifact or note; `make` receives the new id and returns the body to store.
    pub fn insert_item(
        &mut self,
        org: OrgId,
        incident: IncidentId,
        kind: ItemKind,
        make: impl FnOnce(i64) -> Value,
    ) -> Result<Value, StoreError> {
        self.transaction(|tx| {
            tx.tx.execute(
                "INSERT INTO incident_items (org_id, incident_id, kind, body) VALUES (?1, ?2, ?3, '{}')",
                params![org.0, incident.0, kind.as_str()],
            )?;
            let id = tx.tx.last_insert_rowid();
            let body = make(id);
            tx.tx.execute(
                "UPDATE incident_items SET body = ?2 WHERE id = ?1",
                params![id, body.to_string()],
            )?;
            Ok::<_, StoreError>(body)
        })
    }

    /// The incident's artifacts or notes, oldest first.
    pub fn items(
        &self,
        org: OrgId,
        incident: IncidentId,
        kind: ItemKind,
    ) -> Result<Vec<Value>, StoreError> {
        let mut st = self.conn.prepare(
            "SELECT id, body FROM incident_items
             WHERE org_id = ?1 AND incident_id = ?2 AND kind = ?3 ORDER BY id",
        )?;
        let rows: Vec<(i64, String)> = st
            .query_map(params![org.0, incident.0, kind.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(id, b)| parse_json(format!("{} {id}", kind.as_str()), &b))
            .collect()
    }
}

/// A write transaction over the configuration objects (imports apply through one of these).
pub struct Tx<'a> {
    tx: Transaction<'a>,
}

impl Tx<'_> {
    pub fn objects(&self, org: OrgId, kind: Kind) -> Result<Vec<StoredObject>, StoreError> {
        objects(&self.tx, org, kind)
    }

    /// Insert a new object; `make` receives its id and returns the body to store.
    pub fn insert_object(
        &mut self,
        org: OrgId,
        kind: Kind,
        uuid: Option<&str>,
        api_name: &str,
        make: impl FnOnce(ObjectId) -> Value,
    ) -> Result<ObjectId, StoreError> {
        let now = now_ms();
        self.tx.execute(
            "INSERT INTO objects (org_id, kind, uuid, api_name, body, version, modified)
             VALUES (?1, ?2, ?3, ?4, '{}', 1, ?5)",
            params![org.0, kind.list_key(), uuid, api_name, now],
        )?;
        let id = ObjectId(self.tx.last_insert_rowid());
        let body = make(id);
        self.tx.execute(
            "UPDATE objects SET body = ?2 WHERE id = ?1",
            params![id.0, body.to_string()],
        )?;
        Ok(id)
    }

    /// Replace an existing object's identity columns and body.
    pub fn update_object(
        &mut self,
        id: ObjectId,
        uuid: Option<&str>,
        api_name: &str,
        body: &Value,
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "UPDATE objects SET uuid = ?2, api_name = ?3, body = ?4, version = version + 1,
             modified = ?5 WHERE id = ?1",
            params![id.0, uuid, api_name, body.to_string(), now_ms()],
        )?;
        Ok(())
    }

    pub fn finish_import(
        &self,
        org: OrgId,
        id: ImportId,
        status: &str,
        dto: &Value,
    ) -> Result<(), StoreError> {
        finish_import(&self.tx, org, id, status, dto)
    }
}

fn finish_import(
    conn: &Connection,
    org: OrgId,
    id: ImportId,
    status: &str,
    dto: &Value,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE imports SET status = ?3, dto = ?4, res = NULL WHERE org_id = ?1 AND id = ?2",
        params![org.0, id.0, status, dto.to_string()],
    )?;
    Ok(())
}

fn object_from_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(i64, String, Option<String>, String, String, i64)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn to_object(
    (id, kind, uuid, api_name, body, version): (i64, String, Option<String>, String, String, i64),
) -> Result<StoredObject, StoreError> {
    let kind = Kind::from_list_key(&kind).ok_or_else(|| StoreError::Corrupt {
        what: format!("object {id}"),
        source: serde::de::Error::custom(format!("unknown kind {kind:?}")),
    })?;
    Ok(StoredObject {
        id: ObjectId(id),
        kind,
        uuid,
        body: parse_json(format!("{} {api_name:?}", kind.list_key()), &body)?,
        api_name,
        version,
    })
}

fn objects(conn: &Connection, org: OrgId, kind: Kind) -> Result<Vec<StoredObject>, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT id, kind, uuid, api_name, body, version FROM objects
         WHERE org_id = ?1 AND kind = ?2 ORDER BY id",
    )?;
    let rows: Vec<_> = st
        .query_map(params![org.0, kind.list_key()], object_from_row)?
        .collect::<Result<_, _>>()?;
    rows.into_iter().map(to_object).collect()
}

fn object_where(
    conn: &Connection,
    org: OrgId,
    kind: Kind,
    cond: &str,
    value: &dyn rusqlite::ToSql,
) -> Result<Option<StoredObject>, StoreError> {
    let sql = format!(
        "SELECT id, kind, uuid, api_name, body, version FROM objects
         WHERE org_id = ?1 AND kind = ?2 AND {cond} ORDER BY id LIMIT 1"
    );
    let row = conn
        .query_row(
            &sql,
            params![org.0, kind.list_key(), value],
            object_from_row,
        )
        .optional()?;
    row.map(to_object).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn database_holding_secrets_was_created_world_readable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("org.db");
        let store = Store::open(&path).unwrap();
        let org = store.create_org("A").unwrap();
        store.create_api_key(org.id, "k").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    #[test]
    fn schema_1_database_loses_its_plaintext_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 INSERT INTO meta VALUES ('schema_version', '1');
                 CREATE TABLE orgs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,
                     uuid TEXT NOT NULL, created INTEGER NOT NULL);
                 CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE,
                     fname TEXT NOT NULL, lname TEXT NOT NULL, password_salt TEXT NOT NULL,
                     password_hash TEXT NOT NULL, password TEXT NOT NULL);
                 CREATE TABLE api_keys (id INTEGER PRIMARY KEY AUTOINCREMENT, key_id TEXT NOT NULL UNIQUE,
                     secret_hash TEXT NOT NULL, secret TEXT NOT NULL, org_id INTEGER NOT NULL,
                     name TEXT NOT NULL, created INTEGER NOT NULL);
                 CREATE TABLE sessions (token TEXT PRIMARY KEY, csrf TEXT NOT NULL,
                     user_id INTEGER NOT NULL, created INTEGER NOT NULL);
                 INSERT INTO orgs VALUES (1, 'A', 'u', 0);
                 INSERT INTO users VALUES (1, 'a@example.com', 'A', 'B', 's', 'h', 'OLD-PASSWORD-PLAINTEXT');
                 INSERT INTO api_keys VALUES (1, 'k', 'h', 'OLD-SECRET-PLAINTEXT', 1, 'respack serve', 0);
                 INSERT INTO sessions VALUES ('OLD-SESSION-TOKEN', 'OLD-CSRF', 1, 0);",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.meta("schema_version").unwrap().as_deref(), Some("2"));
        assert_eq!(store.org_by_name("A").unwrap().unwrap().id, OrgId(1));
        drop(store);
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for old in [
            "OLD-PASSWORD-PLAINTEXT",
            "OLD-SECRET-PLAINTEXT",
            "OLD-SESSION-TOKEN",
        ] {
            assert!(!text.contains(old), "{old} is still in the file");
        }
    }

    #[test]
    fn api_key_verifies_only_with_its_secret() {
        let store = Store::open_in_memory().unwrap();
        let org = store.create_org("A").unwrap();
        let key = store.create_api_key(org.id, "k").unwrap();
        let p = store.verify_api_key(&key.id, &key.secret).unwrap().unwrap();
        assert_eq!(p.org_id, org.id);
        assert!(store.verify_api_key(&key.id, "wrong").unwrap().is_none());
        assert!(store.verify_api_key("nope", &key.secret).unwrap().is_none());
        assert!(!format!("{key:?}").contains(&key.secret));
    }

    #[test]
    fn password_and_session() {
        let store = Store::open_in_memory().unwrap();
        let org = store.create_org("A").unwrap();
        let u = store.create_user("a@example.com", "pw", "A", "B").unwrap();
        store.add_membership(u.id, org.id).unwrap();
        assert!(store
            .verify_password("a@example.com", "bad")
            .unwrap()
            .is_none());
        let got = store
            .verify_password("A@example.com", "pw")
            .unwrap()
            .unwrap();
        let (tok, csrf) = store.create_session(got.id, 1_000, 60_000).unwrap();
        assert_eq!(
            store.session(&tok, 2_000, 60_000).unwrap(),
            Some((u.id, csrf))
        );
        // Used at 2 s: alive at 62 s, gone after 62 s more without use.
        assert!(store.session(&tok, 62_000, 60_000).unwrap().is_some());
        assert_eq!(store.session(&tok, 122_001, 60_000).unwrap(), None);
        assert_eq!(store.session(&tok, 122_002, 60_000).unwrap(), None);
        assert_eq!(store.user_orgs(u.id).unwrap(), vec![org]);
    }
}
