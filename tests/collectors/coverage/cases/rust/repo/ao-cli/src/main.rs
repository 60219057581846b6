mod utils;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 {
        eprintln!("usage: ao <command>");
        std::process::exit(2);
    }
    println!("{}", utils::banner(&args[1]));
}
