use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

/// A stand-in for `name` that appends its name and arguments to `log` and succeeds.
fn fake_tool(bin: &Path, name: &str, log: &Path) {
    let script = format!("#!/bin/sh\necho \"{name} $*\" >> '{}'\n", log.display());
    let path = bin.join(name);
    fs::write(&path, script).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn build_generates_stubs_and_builds_the_image() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    fs::create_dir(&bin).unwrap();
    let log = tmp.path().join("calls.log");
    fake_tool(&bin, "docker", &log);
    fake_tool(&bin, "python3", &log);

    Command::cargo_bin("shipit")
        .unwrap()
        .args(["build", "--root", "."])
        .env("PATH", &bin)
        .assert()
        .success()
        .stderr(predicate::str::is_empty());

    assert!(log.exists(), "the fakes were not run");
}

#[test]
fn a_failing_docker_fails_the_build() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    fs::create_dir(&bin).unwrap();
    fake_tool(&bin, "python3", &tmp.path().join("calls.log"));
    fs::write(bin.join("docker"), "#!/bin/sh\nexit 3\n").unwrap();
    fs::set_permissions(bin.join("docker"), fs::Permissions::from_mode(0o755)).unwrap();

    Command::cargo_bin("shipit")
        .unwrap()
        .arg("build")
        .env("PATH", &bin)
        .assert()
        .failure()
        .stderr(predicate::str::contains("docker failed"));
}
