use std::os::unix::fs::PermissionsExt;

use assert_cmd::Command;
use assert_fs::prelude::*;
use predicates::prelude::*;

#[test]
fn publish_builds_then_pushes_the_tagged_image() {
    let temp = assert_fs::TempDir::new().unwrap();
    let fake = temp.child("fake-docker");
    fake.write_str(&format!("#!/bin/sh\necho \"$@\" >> {}\n", temp.child("docker.log").path().display()))
        .unwrap();
    std::fs::set_permissions(fake.path(), std::fs::Permissions::from_mode(0o755)).unwrap();

    Command::cargo_bin("imgtool")
        .unwrap()
        .args(["publish", "--tag", "1.2.3"])
        .env("DOCKER", fake.path())
        .assert()
        .success();

    temp.child("docker.log")
        .assert(predicate::str::contains("build -t registry.example.com/imgtool/app:1.2.3"));
    temp.child("docker.log").assert(predicate::str::contains("push registry.example.com/imgtool/app:1.2.3"));
}
