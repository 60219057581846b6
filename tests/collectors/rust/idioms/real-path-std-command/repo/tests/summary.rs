use std::process::Command;

#[test]
fn summary_counts_commits() {
    let out = Command::new(env!("CARGO_BIN_EXE_gitstat"))
        .arg("summary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run gitstat");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("commits\n"));
}
