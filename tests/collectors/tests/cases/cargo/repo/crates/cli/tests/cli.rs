use std::process::Command;

#[test]
fn prints_the_point() {
    let out = Command::new(env!("CARGO_BIN_EXE_geo")).arg("1,2").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1 2\n");
}

#[test]
#[should_panic(expected = "usage")]
fn exits_with_usage() {
    panic!("usage: geo X,Y");
}

#[test]
fn reports_bad_input() -> Result<(), String> {
    Err("exit status 2 but stderr was empty".into())
}
