// Compiles the billing contract; "ignored.proto" in this comment is not a path.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    tonic_build::configure()
        .build_client(true)
        .compile(&["proto/billing.proto"], &["proto"])?;
    Ok(())
}
