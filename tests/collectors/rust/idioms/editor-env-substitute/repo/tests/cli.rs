use assert_cmd::Command;
use assert_fs::prelude::*;
use predicates::prelude::*;

#[test]
fn new_creates_the_note_through_the_editor() {
    let temp = assert_fs::TempDir::new().unwrap();
    Command::cargo_bin("jot")
        .unwrap()
        .arg("--dir")
        .arg(temp.path())
        .args(["new", "groceries"])
        .env("EDITOR", "touch")
        .assert()
        .success();
    temp.child("groceries.md").assert(predicate::path::exists());
}

#[test]
fn list_shows_notes() {
    let temp = assert_fs::TempDir::new().unwrap();
    temp.child("a.md").touch().unwrap();
    Command::cargo_bin("jot")
        .unwrap()
        .args(["--dir", temp.path().to_str().unwrap(), "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("a.md"));
}
