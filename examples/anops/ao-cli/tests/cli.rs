//! Runs the real `ao` binary against throwaway workspaces.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

const CONFIG: &str = r#"{
  "images": [
    {"name": "api-service", "context": "api-service", "tag": "anops/api-service:dev"}
  ],
  "protos": [
    {"file": "proto/model.proto", "include": "proto", "out": ["api-service"]}
  ]
}"#;

/// A workspace with one service and one proto file, laid out like the repo.
fn workspace(config: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "ao.json", config);
    write(dir.path(), "api-service/Dockerfile", "FROM python:3.11\n");
    write(dir.path(), "proto/model.proto", "syntax = \"proto3\";\n");
    dir
}

fn write(root: &Path, rel: &str, contents: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

fn ao(dir: &TempDir) -> Command {
    let mut cmd = Command::cargo_bin("ao").unwrap();
    cmd.current_dir(dir.path());
    cmd
}

#[test]
fn check_reports_ok() {
    let ws = workspace(CONFIG);
    ao(&ws)
        .arg("check")
        .assert()
        .success()
        .stdout(predicate::str::contains("ok: 1 image(s), 1 proto file(s)"));
}

#[test]
fn check_reports_missing_dockerfile() {
    let ws = workspace(CONFIG);
    fs::remove_file(ws.path().join("api-service/Dockerfile")).unwrap();
    ao(&ws)
        .arg("check")
        .assert()
        .failure()
        .stderr(predicate::str::contains("image api-service:"))
        .stderr(predicate::str::contains("not found"));
}

#[test]
fn check_rejects_placeholder_tags() {
    let ws = workspace(&CONFIG.replace("anops/api-service:dev", "TODO: pick a tag"));
    ao(&ws)
        .arg("check")
        .assert()
        .failure()
        .stderr(predicate::str::contains("is a placeholder"));
}

#[test]
fn help_lists_the_subcommands() {
    Command::cargo_bin("ao")
        .unwrap()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("build").and(predicate::str::contains("check")));
}
