//! Helpers shared by the CLI tests: a temp workspace with fake `docker` and
//! `git` executables first on PATH, so no test touches the real tools.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use assert_fs::prelude::*;
use assert_fs::TempDir;

pub struct Sandbox {
    pub dir: TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = TempDir::new().unwrap();
        dir.child("ao.toml").write_str("[[service]]\nname = \"api\"\n").unwrap();
        let sandbox = Sandbox { dir };
        sandbox.fake_tool("docker");
        sandbox.fake_tool("git");
        sandbox
    }

    fn bin_dir(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    /// A script that appends its arguments to `<name>.log` and succeeds.
    fn fake_tool(&self, name: &str) {
        let path = self.bin_dir().join(name);
        fs::create_dir_all(self.bin_dir()).unwrap();
        fs::write(&path, format!("#!/bin/sh\necho \"$@\" >> \"$0.log\"\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// `ao` inside the sandbox, fake tools first on PATH.
    pub fn ao(&self) -> Command {
        let mut cmd = Command::cargo_bin("ao").unwrap();
        cmd.current_dir(self.dir.path())
            .env("PATH", join_path(&self.bin_dir()))
            .env_remove("RUST_LOG");
        cmd
    }

    pub fn calls(&self, tool: &str) -> String {
        fs::read_to_string(self.bin_dir().join(format!("{tool}.log"))).unwrap_or_default()
    }
}

fn join_path(first: &Path) -> std::ffi::OsString {
    let mut paths = vec![first.to_path_buf()];
    paths.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(paths).unwrap()
}

/// Runs `ao ARGS` in a fresh sandbox and expects success.
pub fn run_ok(args: &[&str]) -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.ao().args(args).assert().success();
    sandbox
}
