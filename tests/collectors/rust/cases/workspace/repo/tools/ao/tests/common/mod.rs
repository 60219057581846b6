use assert_cmd::Command;

pub fn ao_admin() -> Command {
    Command::cargo_bin("ao-admin").unwrap()
}
