//! End-to-end tests of the `ao` binary. One target, several modules, so the
//! binary is linked once.

mod build;
mod init;
mod support;
