// Only compiled for `cargo test`: the println! and unwrap() here are not user paths.
use super::*;

#[test]
fn splits_name_and_tag() {
    let (name, tag) = split_reference("anops/api:dev").unwrap();
    println!("{name} {tag}");
    assert_eq!((name, tag), ("anops/api", "dev"));
}

#[test]
fn defaults_to_latest() {
    assert_eq!(split_reference("anops/api").unwrap().1, "latest");
}

#[test]
#[ignore = "registry ports are not supported yet"]
fn keeps_registry_port() {
    assert_eq!(split_reference("localhost:5000/api").unwrap().0, "localhost:5000/api");
}
