use std::process::Command;

fn commits() -> Result<usize, String> {
    let out = Command::new("git")
        .args(["rev-list", "--count", "HEAD"])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    String::from_utf8_lossy(&out.stdout).trim().parse().map_err(|e| format!("unexpected git output: {e}"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("summary") => match commits() {
            Ok(n) => println!("{n} commits"),
            Err(e) => {
                eprintln!("gitstat: {e}");
                std::process::exit(1);
            }
        },
        _ => {
            eprintln!("usage: gitstat summary");
            std::process::exit(2);
        }
    }
}
