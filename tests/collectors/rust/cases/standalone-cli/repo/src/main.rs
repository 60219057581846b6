use clap::{Arg, ArgAction, Command};
use tracing_subscriber::fmt;

fn cli() -> Command {
    Command::new("relctl")
        .arg(Arg::new("dry-run").long("dry-run").global(true).action(ArgAction::SetTrue))
        .subcommand(Command::new("tag").arg(Arg::new("version").required(true)))
        .subcommand(Command::new("publish").alias("pub"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    fmt::init();
    let m = cli().get_matches();
    match m.subcommand() {
        Some(("tag", sub)) => {
            let v: &String = sub.get_one("version").unwrap();
            tracing::info!("tag {}", relcore::parse_tag(v)?);
        }
        Some(("publish", _)) => tracing::warn!("publish is a dry run"),
        _ => relcore::banner(),
    }
    Ok(())
}
