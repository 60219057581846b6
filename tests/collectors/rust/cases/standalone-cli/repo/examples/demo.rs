fn main() {
    println!("{:?}", relcore::parse_tag("v0.1.0"));
}
