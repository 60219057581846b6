//! One-off migration from ao.yaml to ao.toml.

fn main() {
    let path = std::env::args().nth(1).expect("usage: ao-migrate FILE");
    let text = std::fs::read_to_string(&path).unwrap();
    print!("{}", text.replace(": ", " = "));
}
