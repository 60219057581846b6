//! `harness = false`: a plain main that exits non-zero on failure.

use std::process::Command;

fn main() {
    let out = Command::new(env!("CARGO_BIN_EXE_ao"))
        .arg("--version")
        .output()
        .expect("ao runs");
    assert!(out.status.success(), "ao --version failed");
}
