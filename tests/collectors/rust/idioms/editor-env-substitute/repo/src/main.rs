use std::env;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

use clap::{Parser, Subcommand};

#[derive(Parser)]
struct Cli {
    #[arg(long, default_value = "notes")]
    dir: PathBuf,
    #[command(subcommand)]
    command: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Open a new note in $EDITOR
    New { name: String },
    /// List the notes
    List,
}

fn edit(path: &PathBuf) -> std::io::Result<bool> {
    let editor = env::var("EDITOR").unwrap_or_else(|_| "vi".to_string());
    Ok(Command::new(&editor).arg(path).status()?.success())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Action::New { name } => {
            let path = cli.dir.join(format!("{name}.md"));
            match edit(&path) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(2),
                Err(err) => {
                    eprintln!("jot: cannot start the editor: {err}");
                    ExitCode::FAILURE
                }
            }
        }
        Action::List => {
            for entry in fs::read_dir(&cli.dir).into_iter().flatten().flatten() {
                println!("{}", entry.file_name().to_string_lossy());
            }
            ExitCode::SUCCESS
        }
    }
}
