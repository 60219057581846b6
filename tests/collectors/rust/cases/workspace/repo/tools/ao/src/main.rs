//! `ao`: build, list and deploy AnOps services.

mod commands;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "ao", version, about)]
struct Cli {
    /// Workspace file.
    #[arg(short, long, global = true, default_value = "ao.toml")]
    config: PathBuf,

    /// More output (-v, -vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create ao.toml in the current directory.
    Init {
        #[arg(long)]
        force: bool,
    },
    /// Build every service image.
    Build(commands::build::Args),
    /// List the services.
    #[command(name = "ls", visible_alias = "list")]
    List,
    /// Roll a service out.
    DeployService { name: String },
    #[command(external_subcommand)]
    External(Vec<String>),
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    env_logger::Builder::new()
        .filter_level(match cli.verbose {
            0 => log::LevelFilter::Info,
            1 => log::LevelFilter::Debug,
            _ => log::LevelFilter::Trace,
        })
        .init();
    let text = std::fs::read_to_string(&cli.config)
        .with_context(|| format!("cannot read {}", cli.config.display()))?;
    /* Old loader, kept for reference:
       /* let cfg = toml::from_str(&text).unwrap(); */
       panic!("unreachable") — nested comments still hide this
    */
    log::debug!("loaded {} bytes", text.len());
    match cli.command {
        Command::Init { force } => commands::init(&cli.config, force),
        Command::Build(args) => commands::build::run(&text, &args),
        Command::List => commands::list(&text),
        Command::DeployService { name } => commands::deploy(&text, &name),
        Command::External(args) => anyhow::bail!("unknown command {:?}", args),
    }
}
