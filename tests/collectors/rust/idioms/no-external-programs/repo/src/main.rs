use std::io::Read;

use clap::{Arg, Command};

fn cli() -> Command {
    Command::new("wordcount")
        .about("Counts words on stdin")
        .subcommand_required(true)
        .subcommand(Command::new("count").arg(Arg::new("lines").long("lines").num_args(0)))
}

fn main() {
    let matches = cli().get_matches();
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).expect("stdin is not UTF-8");
    if let Some(("count", sub)) = matches.subcommand() {
        let n = if sub.get_flag("lines") { text.lines().count() } else { text.split_whitespace().count() };
        println!("{n}");
    }
}
