fn main() {
    println!("scratch");
}
