use std::process::{Command, ExitCode};

use clap::Parser;

#[derive(Parser)]
enum Cli {
    /// Build and push the deploy image
    Publish {
        #[arg(long)]
        tag: String,
    },
}

fn docker() -> String {
    std::env::var("DOCKER").unwrap_or_else(|_| "docker".into())
}

fn main() -> ExitCode {
    let Cli::Publish { tag } = Cli::parse();
    let image = format!("registry.example.com/imgtool/app:{tag}");
    for args in [vec!["build", "-t", &image, "-f", "deploy/Dockerfile", "."], vec!["push", &image]] {
        match Command::new(docker()).args(&args).status() {
            Ok(s) if s.success() => {}
            Ok(s) => {
                eprintln!("imgtool: docker {} failed: {s}", args[0]);
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("imgtool: cannot run docker: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
