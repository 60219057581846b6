use std::process::{Command, Output};

fn relctl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_relctl"))
}

fn run(args: &[&str]) -> Output {
    relctl().args(args).output().expect("relctl runs")
}

#[test]
fn tag_accepts_a_v_prefix() {
    let status = relctl().args(&["tag", "v1.2.3"]).status().unwrap();
    assert!(status.success());
}

#[test]
fn pub_is_an_alias() {
    assert!(relctl().arg("pub").status().unwrap().success());
}

#[test]
fn dry_run_before_the_subcommand() {
    let out = relctl().args(vec!["--dry-run", "publish"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("dry run"));
}

#[test]
fn every_subcommand_has_help() {
    for sub in ["tag", "publish"] {
        // the subcommand is a variable: not resolvable lexically
        assert!(relctl().arg(sub).arg("--help").status().unwrap().success());
    }
}

#[test]
fn tag_rejects_garbage() {
    let out = run(&["tag", "latest"]);
    assert!(!out.status.success());
    let text = r#"expected "MAJOR.MINOR.PATCH""#;
    assert!(String::from_utf8_lossy(&out.stderr).contains(text.trim_matches('"')));
}
