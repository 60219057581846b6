//! `ao-admin` and `ao ls` against config files in a temp dir.

mod common;

use assert_cmd::prelude::*;
use assert_fs::prelude::*;
use std::process::Command;

#[test]
fn rotate_keys_succeeds() {
    common::ao_admin().arg("rotate-keys").assert().success();
}

#[test]
fn gc_dry_run() {
    common::ao_admin()
        .args(&["gc", "--dry-run"])
        .assert()
        .stderr(predicates::str::contains("dry run: true"));
}

#[test]
fn ls_reads_the_given_config() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = assert_fs::TempDir::new()?;
    let cfg = tmp.child("ao.toml");
    cfg.write_str("[[service]]\nname = \"api\"\n")?;
    let mut cmd = Command::cargo_bin("ao")?;
    cmd.arg("-c").arg(cfg.path());
    cmd.arg("ls");
    cmd.assert().success();
    Ok(())
}

#[test]
fn ls_with_env_bin_path() {
    let out = Command::new(env!("CARGO_BIN_EXE_ao"))
        .arg("list")
        .output()
        .unwrap();
    // `list` is the visible alias of `ls`
    assert!(!out.status.success() || !out.stdout.is_empty());
}
