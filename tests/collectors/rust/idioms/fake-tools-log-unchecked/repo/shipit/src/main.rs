use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(version, about = "Builds the stubs and the images")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generate the gRPC stubs and build the api image
    Build {
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
}

fn run(program: &str, args: &[&str]) -> Result<()> {
    let status = Command::new(program)
        .args(args)
        .status()
        .with_context(|| format!("could not start {program}"))?;
    if !status.success() {
        bail!("{program} failed with {status}");
    }
    Ok(())
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Cmd::Build { root } => {
            let proto = root.join("proto");
            let out = root.join("api");
            run(
                "python3",
                &[
                    "-m",
                    "grpc_tools.protoc",
                    "-I",
                    proto.to_str().unwrap_or("proto"),
                    "--python_out",
                    out.to_str().unwrap_or("api"),
                    "--grpc_python_out",
                    out.to_str().unwrap_or("api"),
                    "inventory.proto",
                ],
            )?;
            run("docker", &["build", "--tag", "shipit/api:dev", out.to_str().unwrap_or("api")])
        }
    }
}
