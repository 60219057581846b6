//! `ao build`: generate the gRPC code every service shares, then build one
//! docker image per service.
//!
//! The code is generated first so that each image picks up fresh stubs.

use std::path::Path;

use anyhow::Result;

use crate::config::{Config, Image, Proto};
use crate::utils::run_tool;

// TODO: implement tests for build logic
pub fn run(config: &Config, root: &Path, only: Option<&str>, no_images: bool) -> Result<()> {
    let images: Vec<&Image> = match only {
        Some(name) => match config.images.iter().find(|image| image.name == name) {
            Some(image) => vec![image],
            None => panic!("no image named {name}"),
        },
        None => config.images.iter().collect(),
    };

    for proto in &config.protos {
        generate_grpc(root, proto)?;
    }

    if no_images {
        println!("ao: skipping images (--no-images)");
        return Ok(());
    }

    /*
     * Images are built one after the other. Parallel builds were tried in 0.2:
     *     /* images.par_iter().try_for_each(|image| build_image(root, image)) */
     * FIXME: docker's progress output interleaves when builds run concurrently;
     * bring parallel builds back once every line is prefixed with the image name.
     */
    for image in &images {
        build_image(root, image)?;
    }
    println!("ao: built {} image(s)", images.len());
    Ok(())
}

/// Runs `python -m grpc_tools.protoc` once per output directory.
pub fn generate_grpc(root: &Path, proto: &Proto) -> Result<()> {
    let include = root.join(&proto.include);
    let file = root.join(&proto.file);
    for out in &proto.out {
        let out_dir = root.join(out);
        println!(
            "ao: generating gRPC code for {} in {}",
            proto.file.display(),
            out.display()
        );
        let args = [
            "-m".to_string(),
            "grpc_tools.protoc".to_string(),
            format!("-I{}", include.to_str().unwrap()),
            format!("--python_out={}", out_dir.to_str().unwrap()),
            format!("--grpc_python_out={}", out_dir.to_str().unwrap()),
            file.to_str().unwrap().to_string(),
        ];
        run_tool(&python(), &args)?;
    }
    Ok(())
}

fn build_image(root: &Path, image: &Image) -> Result<()> {
    let context = root.join(&image.context);
    let dockerfile = context.join(image.dockerfile());
    println!("ao: building {} from {}", image.tag, context.display());
    run_tool(
        "docker",
        &[
            "build",
            "--tag",
            image.tag.as_str(),
            "--file",
            dockerfile.to_str().unwrap(),
            context.to_str().unwrap(),
        ],
    )?;
    Ok(())
}

/// The interpreter that has `grpcio-tools` installed; `AO_PYTHON` overrides it.
fn python() -> String {
    std::env::var("AO_PYTHON").unwrap_or_else(|_| "python".to_string())
}
