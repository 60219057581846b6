use std::env;
use std::fs;
use std::path::Path;

fn size_of(path: &Path) -> u64 {
    fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn main() {
    env_logger::init();
    let args: Vec<String> = env::args().skip(1).collect();
    if args.is_empty() {
        eprintln!("usage: du-lite PATH...");
        std::process::exit(2);
    }
    println!("scanning {} path(s)", args.len());
    let mut total = 0;
    for arg in &args {
        let size = size_of(Path::new(arg));
        total += size;
        println!("{size:>10}\t{arg}");
    }
    println!("{:>10}\t{}", total, "total");
    println!();
    print!("{}", "");
    println!("$ {} {}", "du", args.join(" "));
    dbg!(total);
}
