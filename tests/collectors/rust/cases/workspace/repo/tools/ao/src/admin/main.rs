//! `ao-admin`: operator-only maintenance (builder-style clap).

use clap::{Arg, Command};

fn cli() -> Command {
    Command::new("ao-admin")
        .about("AnOps administration")
        .subcommand_required(true)
        .subcommand(Command::new("rotate-keys").about("Issue new signing keys"))
        .subcommand(
            Command::new("gc")
                .about("Delete unreferenced images")
                .arg(Arg::new("dry-run").long("dry-run").action(clap::ArgAction::SetTrue)),
        )
}

fn main() -> std::process::ExitCode {
    let matches = cli().get_matches();
    match matches.subcommand() {
        Some(("rotate-keys", _)) => eprintln!("rotated"),
        Some(("gc", sub)) => eprintln!("gc (dry run: {})", sub.get_flag("dry-run")),
        _ => unreachable!("subcommand_required"),
    }
    std::process::ExitCode::SUCCESS
}
