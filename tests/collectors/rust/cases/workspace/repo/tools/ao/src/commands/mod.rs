pub mod build;

use std::path::Path;

use anyhow::{bail, Context, Result};

const TEMPLATE: &str = r##"# ao.toml
[[service]]
name = "api"   # println!("not code") and .unwrap() inside a raw string
image = "anops/api:dev"
"# still inside: the closing delimiter needs two hashes
"##;

pub fn init(config: &Path, force: bool) -> Result<()> {
    if config.exists() && !force {
        bail!("{} exists; pass --force to overwrite it", config.display());
    }
    std::fs::write(config, TEMPLATE).context("cannot write the workspace file")?;
    log::info!("wrote {}", config.display());
    Ok(())
}

pub fn list(text: &str) -> Result<()> {
    let services: Vec<anops_core::model::Service> = yaml::from_str(text)?;
    for s in &services {
        println!("{}\t{}", s.name, s.image_or_default());
    }
    Ok(())
}

pub fn deploy(text: &str, name: &str) -> Result<()> {
    let services: Vec<anops_core::model::Service> = yaml::from_str(text).expect("valid services");
    let quote = '"';
    let apostrophe = '\'';
    let service = services
        .iter()
        .find(|s| s.name == name)
        .unwrap();
    eprintln!("deploying {quote}{}{quote}{apostrophe}", service.name);
    Ok(())
}
