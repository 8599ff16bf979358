//! `respack diff`'s library path on a large package and a large org: the plan of a 300-object
//! package against a 1,500-object org (`Plan::install`, the whole of diff's computation), the
//! parse of that org's export as the client receives it, and the reference org's own export
//! (`respack serve`'s `POST .../configurations/exports/`) of the 3.2 MB corpus export imported
//! into an in-memory store. Prints the median and the slowest of several runs.
//!
//! `cargo bench --bench diff_plan` (the server part needs `RESPACK_SHARED=../shared`).
//!
//! The org and the package are made in code from the built-in package and the integrations it
//! depends on: every object is copied under new API names and uuids until there are enough.
//! A tenth of the package's objects differ from the org's (a changed description, and for
//! workflows XML that parses to the same model, which the plan has to parse to see), and a
//! tenth are not on the org at all, so the plan holds creates, updates and unchanged objects.
use std::time::{Duration, Instant};

use respack::ops::Package;
use respack::plan::Plan;
use respack::res::{Kind, ResFile};
use serde_json::{Map, Value};

const ORG_OBJECTS: usize = 1_500;
const PACKAGE_OBJECTS: usize = 300;
const RUNS: usize = 9;

fn main() {
    let (org, package) = synthetic();
    let org_text = serde_json::to_string(&org).expect("serialise the org");
    println!(
        "org: {} objects ({:.1} MB as JSON); package: {} objects",
        count(&org),
        org_text.len() as f64 / 1e6,
        package.owned.len()
    );

    let plan = Plan::install(&package.res, &package, &org);
    let tally = |a: respack::plan::Action| plan.changes.iter().filter(|c| c.action == a).count();
    println!(
        "plan: {} changes ({} create, {} update, {} unchanged)",
        plan.changes.len(),
        tally(respack::plan::Action::Create),
        tally(respack::plan::Action::Update),
        tally(respack::plan::Action::Unchanged),
    );
    report("Plan::install (diff's computation)", || {
        Plan::install(&package.res, &package, &org)
    });
    report("parse the org's export (client side)", || {
        serde_json::from_str::<Value>(&org_text).expect("parse")
    });

    match std::env::var_os("RESPACK_SHARED") {
        Some(shared) => server_export(std::path::Path::new(&shared)),
        None => println!("server export: set RESPACK_SHARED to measure it"),
    }
}

/// Time `f` over [`RUNS`] runs after one warm-up; print the median and the slowest.
fn report<T>(label: &str, mut f: impl FnMut() -> T) {
    drop(f());
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            let out = f();
            let d = t.elapsed();
            drop(out);
            d
        })
        .collect();
    times.sort();
    println!(
        "{label:<44} median {:7.2} ms  max {:7.2} ms",
        ms(times[RUNS / 2]),
        ms(times[RUNS - 1])
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn count(res: &Value) -> usize {
    Kind::ALL
        .iter()
        .filter_map(|k| res.get(k.list_key()).and_then(Value::as_array))
        .map(Vec::len)
        .sum()
}

/// Every object of the built-in package and of the integrations' seed, with its kind.
fn templates() -> Vec<(Kind, Value)> {
    let builtin = serde_json::to_value(respack::package::resource_file(
        respack::package::RELEASE_EXPORT_DATE_MS,
    ))
    .expect("serialise the built-in package");
    let seed = respack::package::integrations_seed();
    let mut out = vec![];
    for res in [&builtin, &seed] {
        for kind in Kind::ALL {
            for o in res
                .get(kind.list_key())
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if kind.api_name(o).is_some() {
                    out.push((kind, o.clone()));
                }
            }
        }
    }
    out
}

/// A copy of `object` under the API name `<name>_c<copy>` and a uuid of its own.
fn renamed(kind: Kind, object: &Value, copy: usize) -> Value {
    let mut o = object.clone();
    let name = kind.api_name(&o).expect("a named template").into_owned();
    let new = format!("{name}_c{copy}");
    if let Some(m) = o.as_object_mut() {
        for key in kind.api_name_keys() {
            if m.get(*key).is_some_and(Value::is_string) {
                m.insert((*key).into(), Value::String(new.clone()));
            }
        }
        if kind == Kind::Field {
            m.insert("export_key".into(), Value::String(new.clone()));
        }
        let uuid = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, new.as_bytes());
        m.insert("uuid".into(), Value::String(uuid.to_string()));
    }
    o
}

/// The org's export and the package.
fn synthetic() -> (Value, Package) {
    let templates = templates();
    let header = serde_json::to_value(respack::package::resource_file(
        respack::package::RELEASE_EXPORT_DATE_MS,
    ))
    .expect("serialise the built-in package");
    let objects: Vec<(Kind, Value)> = (0..)
        .flat_map(|copy| {
            templates
                .iter()
                .map(move |(kind, o)| (*kind, renamed(*kind, o, copy)))
        })
        .take(ORG_OBJECTS)
        .collect();
    let mut package_objects = vec![];
    for (i, (kind, o)) in objects.iter().take(PACKAGE_OBJECTS).enumerate() {
        let mut o = o.clone();
        match i % 10 {
            // Not on the org yet: a create.
            1 => o = renamed(*kind, &o, 1_000_000 + i),
            // Changed: an update, and a workflow whose XML differs only in layout.
            2 => {
                if let Some(m) = o.as_object_mut() {
                    m.insert("description".into(), Value::String(format!("changed {i}")));
                }
                if let Some(Value::String(xml)) = o.pointer_mut("/content/xml") {
                    xml.push('\n');
                }
            }
            _ => {}
        }
        package_objects.push((*kind, o));
    }
    let org = assemble(&header, &objects);
    let res: ResFile =
        serde_json::from_value(assemble(&header, &package_objects)).expect("a valid package");
    let owned = package_objects
        .iter()
        .map(|(kind, o)| (*kind, kind.api_name(o).expect("named").into_owned()))
        .collect();
    let package = Package {
        res,
        owned,
        integrations: vec![],
        identity: None,
    };
    (org, package)
}

/// A resource file with `header`'s top-level members and `objects` as its lists.
fn assemble(header: &Value, objects: &[(Kind, Value)]) -> Value {
    let mut out: Map<String, Value> = header
        .as_object()
        .expect("an object")
        .iter()
        .filter(|(k, _)| Kind::from_list_key(k).is_none())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (kind, o) in objects {
        out.entry(kind.list_key())
            .or_insert_with(|| Value::Array(vec![]))
            .as_array_mut()
            .expect("a list")
            .push(o.clone());
    }
    Value::Object(out)
}

/// The reference org's export of the 3.2 MB corpus export, imported into an in-memory store.
fn server_export(shared: &std::path::Path) {
    use respack::server::{export, import_accepted, Store};
    let path =
        shared.join("corpus/res/api/sdk_api_post_configurations_exports_with_playbooks.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            println!("server export: cannot read {}: {e}", path.display());
            return;
        }
    };
    let big: Value = serde_json::from_str(&text).expect("the corpus export parses");
    let mut store = Store::open_in_memory().expect("an in-memory store");
    let org = store.create_org("bench").expect("an org");
    if let Err(e) = import_accepted(&mut store, org.id, &big) {
        println!("server export: the import was refused: {e}");
        return;
    }
    let exported = export::export(&store, org.id, 1, 0).expect("export");
    println!("server export: {} objects", count(&exported));
    report("server: export of the org (store -> value)", || {
        export::export(&store, org.id, 1, 0).expect("export")
    });
    report("server: export serialised (value -> body)", || {
        serde_json::to_vec(&exported).expect("serialise")
    });
}
