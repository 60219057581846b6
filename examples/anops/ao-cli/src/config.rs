//! The workspace description, `ao.json`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Docker images, built in the order given.
    pub images: Vec<Image>,
    /// Protocol buffer files to generate Python gRPC code from.
    #[serde(default)]
    pub protos: Vec<Proto>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    pub name: String,
    /// Build context, relative to the workspace root.
    pub context: PathBuf,
    /// Full reference to tag the image with, e.g. `anops/api-service:dev`.
    pub tag: String,
    /// Dockerfile relative to the context; `Dockerfile` when absent.
    #[serde(default)]
    pub dockerfile: Option<PathBuf>,
}

impl Image {
    pub fn dockerfile(&self) -> &Path {
        self.dockerfile
            .as_deref()
            .unwrap_or(Path::new("Dockerfile"))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proto {
    pub file: PathBuf,
    /// Passed to protoc as `-I`; imports in `file` resolve against it.
    pub include: PathBuf,
    /// Every directory that gets its own copy of the generated modules.
    pub out: Vec<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_defaults_to_the_context_root() {
        let image: Image = serde_json::from_str(
            r#"{"name": "api-service", "context": "api-service", "tag": "anops/api-service:dev"}"#,
        )
        .unwrap();
        assert_eq!(image.dockerfile(), Path::new("Dockerfile"));
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err =
            serde_json::from_str::<Config>(r#"{"images": [], "registry": "ghcr.io"}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `registry`"));
    }
}
