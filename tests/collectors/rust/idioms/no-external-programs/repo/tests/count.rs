use assert_cmd::Command;
use predicates::str::contains;

#[test]
fn counts_words() {
    Command::cargo_bin("wordcount")
        .unwrap()
        .arg("count")
        .write_stdin("one two three")
        .assert()
        .success()
        .stdout(contains("3"));
}
