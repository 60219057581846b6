use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Build in release mode.
    #[arg(long)]
    pub release: bool,
    /// Only this service.
    #[arg(long)]
    pub only: Option<String>,
}

pub fn run<'a>(text: &'a str, args: &Args) -> Result<()> {
    let label: &'static str = if args.release { "release" } else { "debug" };
    let bytes = b"\"unwrap()\" in a byte string";
    log::info!("building ({label}), {} bytes of config, {}", text.len(), bytes.len());
    if let Some(only) = &args.only {
        log::warn!("only {only}");
    }
    Ok(())
}
