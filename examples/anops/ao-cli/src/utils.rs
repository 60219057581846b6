//! Running the external tools `ao` drives (docker, python).

use std::ffi::OsStr;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

/// Runs `program` with `args` and returns what it printed on stdout.
///
/// A non-zero exit becomes an error that carries the end of the tool's
/// stderr, which is where docker and protoc explain what went wrong.
pub fn run_tool<S: AsRef<OsStr>>(program: &str, args: &[S]) -> Result<String> {
    println!("$ {} {}", program, display_args(args));
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start `{program}`"))?;

    // FIXME: handle non-UTF-8 tool output
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    if !output.status.success() {
        bail!(
            "`{program}` failed ({}):\n{}",
            output.status,
            last_lines(&stderr, 15)
        );
    }
    Ok(stdout)
}

/// Values that a copied config template leaves for someone to fill in.
pub fn is_placeholder(value: &str) -> bool {
    let value = value.trim();
    value.is_empty() || value.starts_with("TODO:") || value.starts_with('<')
}

/// The last `n` lines of `text`, for error messages.
pub fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn display_args<S: AsRef<OsStr>>(args: &[S]) -> String {
    args.iter()
        .map(|arg| arg.as_ref().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_values_are_placeholders() {
        assert!(is_placeholder("TODO: pick a tag"));
        assert!(is_placeholder("<registry>/api-service"));
        assert!(is_placeholder("  "));
        assert!(!is_placeholder("anops/api-service:dev"));
    }

    #[test]
    fn last_lines_keeps_the_tail() {
        let log = r#"#5 [2/4] RUN pip install -r requirements.txt
#5 0.412 note: "TODO: remove pin" is a comment in requirements.txt, not an error
#6 ERROR: process "/bin/sh -c pip install" did not complete successfully"#;
        assert_eq!(last_lines(log, 1), log.lines().last().unwrap());
        assert_eq!(last_lines(log, 10), log);
    }
}
