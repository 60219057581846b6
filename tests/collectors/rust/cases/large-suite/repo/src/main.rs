use clap::{Arg, Command};

fn cli() -> Command {
    Command::new("stockctl")
        .subcommand(Command::new("count").arg(Arg::new("sku").required(true)))
        .subcommand(Command::new("move"))
}

fn main() {
    let m = cli().get_matches();
    match m.subcommand() {
        Some(("count", _)) => {}
        Some(("move", _)) => {}
        _ => {}
    }
}
