fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match geo_core::parse::parse_point(&args.join(" ")) {
        Some((x, y)) => println!("{x} {y}"),
        None => std::process::exit(2),
    }
}
