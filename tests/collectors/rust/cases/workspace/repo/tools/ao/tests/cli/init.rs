use std::process::Command;

use crate::support::{run_ok, Sandbox};

#[test]
fn init_force_overwrites() {
    let sb = run_ok(&["init", "--force"]);
    assert!(sb.dir.path().join("ao.toml").exists());
}

#[test]
fn init_refuses_to_overwrite() {
    Sandbox::new()
        .ao()
        .arg("init")
        .assert()
        .failure()
        .stderr(predicates::str::contains("pass --force"));
}

#[test]
fn deploy_uses_git_sha() {
    let sb = Sandbox::new();
    // external tool used to prepare the fixture: not an `ao` subcommand
    let status = Command::new("git").args(["init", "-q"]).current_dir(sb.dir.path()).status().unwrap();
    assert!(status.success());
    sb.ao().args("deploy-service api".split_whitespace()).assert().success();
}

#[test]
#[ignore]
fn list_alias() {
    run_ok(&["list"]);
}
