use clap::{Parser, Subcommand};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Publish the release artifacts.
    Publish,
    /// Verify the workspace.
    Verify {
        #[arg(long)]
        strict: bool,
    },
}

fn main() {
    match Cli::parse().command {
        Command::Publish => publish(),
        Command::Verify { strict } => verify(strict),
    }
}

fn publish() {}
fn verify(_strict: bool) {}
