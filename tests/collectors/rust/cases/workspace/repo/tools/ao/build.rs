fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Embeds the git sha; println! is how a build script talks to cargo.
    println!("cargo:rerun-if-changed=build.rs");
    vergen::EmitBuilder::builder().git_sha(true).emit()?;
    Ok(())
}
