//! ATT&CK lookups inside a running process: what the workflow engine pays per function call
//! once the index is open. Prints the median and the 99th percentile of many calls.
//!
//! `RESPACK_SHARED=../shared cargo bench --bench attack_query`
//! (optionally `ATTACK_BUNDLE=path/to/enterprise-attack.json.gz`).
use std::path::PathBuf;
use std::time::{Duration, Instant};

use respack::attack::load_bundle;
use respack::runtime::{mitre, Inputs};
use serde_json::json;

fn main() {
    let bundle = std::env::var_os("ATTACK_BUNDLE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("RESPACK_SHARED")
                .map(|s| PathBuf::from(s).join("attack/enterprise-attack-18.1.json.gz"))
        });
    let Some(bundle) = bundle else {
        eprintln!("attack_query: set RESPACK_SHARED (or ATTACK_BUNDLE) to run");
        return;
    };
    let t = Instant::now();
    let index = match load_bundle(&bundle, None) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("attack_query: {e}");
            std::process::exit(2);
        }
    };
    println!("load {}: {:.1} ms", bundle.display(), ms(t.elapsed()));

    let cases: [(&str, &str, serde_json::Value); 3] = [
        (
            "mitre_tactic_information 1.0, \"Command and Control\"",
            mitre::TACTIC_FUNCTION,
            json!({"mitre_tactic_name": "Command and Control"}),
        ),
        (
            "mitre_technique_information 1.0, T1205",
            mitre::TECHNIQUE_FUNCTION,
            json!({"mitre_technique_id": "T1205"}),
        ),
        (
            "mitre_tactic_information 1.0, 3 tactics",
            mitre::TACTIC_FUNCTION,
            json!({"mitre_tactic_name": "Initial Access, Execution, Credential Access"}),
        ),
    ];
    for (label, function, inputs) in cases {
        let inputs: Inputs = inputs.as_object().cloned().unwrap_or_default();
        let mut times = Vec::with_capacity(2000);
        for _ in 0..2000 {
            let t = Instant::now();
            let out = mitre::call(mitre::Api::V1, function, &index, &inputs);
            times.push(t.elapsed());
            std::hint::black_box(out).ok();
        }
        times.sort();
        println!(
            "{label}: median {:.3} ms, p99 {:.3} ms ({} calls)",
            ms(times[times.len() / 2]),
            ms(times[times.len() * 99 / 100]),
            times.len()
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
