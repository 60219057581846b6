//! `ao check`: catch a broken workspace before a long `ao build` does.

use std::path::Path;

use anyhow::{bail, Result};

use crate::config::Config;
use crate::utils::is_placeholder;

pub fn run(config: &Config, root: &Path) -> Result<()> {
    let problems = problems(config, root);
    if problems.is_empty() {
        println!(
            "ok: {} image(s), {} proto file(s)",
            config.images.len(),
            config.protos.len()
        );
        return Ok(());
    }
    for problem in &problems {
        eprintln!("error: {problem}");
    }
    bail!("{} problem(s) found", problems.len())
}

fn problems(config: &Config, root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    if config.images.is_empty() {
        found.push("no images are configured".to_string());
    }
    for image in &config.images {
        if is_placeholder(&image.tag) {
            found.push(format!(
                "image {}: tag {:?} is a placeholder",
                image.name, image.tag
            ));
        }
        let dockerfile = root.join(&image.context).join(image.dockerfile());
        if !dockerfile.is_file() {
            found.push(format!(
                "image {}: {} not found",
                image.name,
                dockerfile.display()
            ));
        }
    }
    for proto in &config.protos {
        let file = root.join(&proto.file);
        if !file.is_file() {
            found.push(format!("proto {}: file not found", proto.file.display()));
        }
        for out in &proto.out {
            if !root.join(out).is_dir() {
                found.push(format!(
                    "proto {}: output directory {} does not exist",
                    proto.file.display(),
                    out.display()
                ));
            }
        }
    }
    found
}
