//! Shared model of an AnOps workspace.

pub mod model;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CoreError {
    #[error("service `{0}` is not defined")]
    UnknownService(String),
    #[error("invalid image reference {reference:?}: {reason}")]
    BadImage { reference: String, reason: &'static str },
}

/// Splits `name:tag`; the tag defaults to `latest`.
pub fn split_reference(reference: &str) -> Result<(&str, &str), CoreError> {
    match reference.rsplit_once(':') {
        Some((name, tag)) if !name.is_empty() && !tag.contains('/') => Ok((name, tag)),
        Some(_) => Err(CoreError::BadImage { reference: reference.to_string(), reason: "empty name" }),
        None => Ok((reference, "latest")),
    }
}

#[cfg(test)]
mod tests;
