//! Tests of the Python parsers.

use super::fixtures;

#[test]
fn dump() {
    for rel in [
        "requirements/pip-compile/requirements.txt",
        "requirements/hand-written/requirements-dev.txt",
        "pipfile/pipenv/Pipfile.lock",
        "poetry/lock-1.1/poetry.lock",
        "poetry/lock-2.0/poetry.lock",
        "poetry/lock-2.1/poetry.lock",
        "uv/project/uv.lock",
        "pdm/project/pdm.lock",
    ] {
        let parsed = fixtures::parse(rel);
        println!("=== {rel}");
        match parsed {
            Err(e) => println!("ERR {e:?}"),
            Ok(p) => {
                for e in &p.packages {
                    let deps: Vec<String> = e.dependencies.iter().map(|d| format!("{}{}{}", d.name, d.version.as_ref().map(|v| format!("@{v}")).unwrap_or_default(), if d.scope == vigil_sca::lockfile::Scope::Normal { String::new() } else { format!("/{:?}", d.scope) })).collect();
                    println!("P {} {} {:?} L{} -> {}", e.name, e.version, e.scope, e.line, deps.join(","));
                }
                for r in &p.roots { println!("R {} {:?} {:?} {:?}", r.name, r.version, r.scope, r.declared); }
                for u in &p.unresolved { println!("U {:?}", u); }
                for w in &p.warnings { println!("W {w}"); }
            }
        }
    }
}
