#[path = "gen/anops.billing.v1.rs"]
pub mod billing;
