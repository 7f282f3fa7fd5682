//! `schema.graphql` is what the server serves. After an intended change, rewrite it with
//! `DOORMAN_UPDATE_SCHEMA=1 cargo nextest run --test api schema` and review the diff.

use std::path::Path;

#[test]
fn schema_graphql_matches_the_served_schema() {
    let served = doorman::graphql::export_sdl();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    if std::env::var_os("DOORMAN_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &served).expect("schema.graphql is writable");
    }
    let committed = std::fs::read_to_string(&path).expect("schema.graphql exists");
    assert!(
        committed == served,
        "schema.graphql differs from the served schema; rerun with DOORMAN_UPDATE_SCHEMA=1 and review the diff"
    );
}

#[test]
fn the_schema_command_prints_the_served_schema() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_doorman"))
        .arg("schema")
        .output()
        .expect("the doorman binary runs");
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        doorman::graphql::export_sdl()
    );
}
