fn main() {
    for _ in 0..1000 {
        relcore::parse_tag("v1.0.0").unwrap();
    }
}
