//! Release bookkeeping for relctl.

pub mod lexing;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum RelError {
    #[error("{0} is not a semantic version (expected MAJOR.MINOR.PATCH)")]
    BadVersion(String),
}

pub fn parse_tag(tag: &str) -> Result<semver::Version, RelError> {
    let raw = tag.strip_prefix('v').unwrap_or(tag);
    semver::Version::parse(raw).map_err(|_| RelError::BadVersion(tag.to_string()))
}

#[cfg(not(test))]
pub fn banner() {
    println!("relctl {}", env!("CARGO_PKG_VERSION"));
}

#[cfg(all(test, feature = "slow"))]
mod slow_tests {
    #[test]
    fn every_tag_since_0_1() {
        for minor in 0..100 {
            super::parse_tag(&format!("v0.{minor}.0")).unwrap();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_the_v() {
        assert_eq!(parse_tag("v1.2.3").unwrap().minor, 2);
    }

    #[test]
    #[should_panic]
    fn rejects_garbage() {
        parse_tag("latest").unwrap();
    }
}
