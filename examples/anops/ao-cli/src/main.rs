//! `ao`, the AnOps developer CLI.
//!
//! Every command reads the workspace description in `ao.json` (or the file
//! given with `--config`) and resolves the paths in it against the directory
//! that holds that file.

mod build;
mod check;
mod config;
mod utils;

use std::fs;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::config::Config;

#[derive(Debug, Parser)]
#[command(name = "ao", version, about = "Build and check the AnOps services")]
struct Cli {
    /// Workspace description to use.
    #[arg(short, long, global = true, default_value = "ao.json")]
    config: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate the gRPC code and build the docker image of every service.
    Build {
        /// Build only the image with this name (the gRPC code is always generated).
        #[arg(long, value_name = "NAME")]
        only: Option<String>,

        /// Generate the gRPC code but do not build any image.
        #[arg(long)]
        no_images: bool,
    },
    /// Check that the workspace description and the files it names are in place.
    Check,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();

    let raw = fs::read_to_string(&cli.config).unwrap();
    let config: Config = serde_json::from_str(&raw).expect("invalid ao.json");
    let root = workspace_root(&cli.config);
    println!("ao: workspace {}", root.display());

    match cli.command {
        Command::Build { only, no_images } => build::run(&config, root, only.as_deref(), no_images),
        Command::Check => check::run(&config, root),
    }
}

/// The directory that paths in the config are relative to.
fn workspace_root(config: &Path) -> &Path {
    match config.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_of_a_bare_file_name_is_the_current_dir() {
        assert_eq!(workspace_root(Path::new("ao.json")), Path::new("."));
        assert_eq!(workspace_root(Path::new("ci/ao.json")), Path::new("ci"));
    }
}
