use clap::{Parser, Subcommand};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

/// What relayctl can do.
#[derive(Debug, Subcommand)]
enum Commands {
    /// Replay one event.
    Replay {
        #[arg(long)]
        id: u64,
    },
    /// List events (`relayctl ls`).
    #[command(name = "ls", alias = "list")]
    ListEvents,
    // Purge, (not yet: a comment is not a variant)
    Inspect(InspectArgs),
}

#[derive(clap::Args)]
struct InspectArgs {
    id: u64,
}

fn main() {
    let _ = Cli::parse();
}
