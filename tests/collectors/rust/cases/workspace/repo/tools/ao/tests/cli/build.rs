use predicates::prelude::*;

use crate::support::Sandbox;

#[test]
fn build_calls_docker_once_per_service() {
    let sb = Sandbox::new();
    sb.ao()
        .args(["build", "--release"])
        .assert()
        .success()
        .stderr(predicate::str::contains("building (release)"));
    assert_eq!(sb.calls("docker").lines().count(), 1);
}

#[test]
fn verbose_flag_before_the_subcommand() {
    let sb = Sandbox::new();
    let mut cmd = sb.ao();
    cmd.arg("-v").arg("build");
    cmd.arg("--only").arg("api");
    cmd.assert().success();
}

#[test]
fn config_flag_value_is_not_the_subcommand() {
    let sb = Sandbox::new();
    sb.ao().args(["--config", "ao.toml", "ls"]).assert().success();
}

#[test]
fn help_mentions_build() {
    // "build" only in a predicate: the command run is `ao --help`
    Sandbox::new()
        .ao()
        .arg("--help")
        .assert()
        .stdout(predicate::str::contains("build"));
}

/* A disabled test, inside a block comment:
#[test]
fn deploy_everything() {
    Sandbox::new().ao().arg("deploy-service").assert().success();
}
*/
