pub mod legacy;

pub fn answer() -> u32 {
    std::env::var("ANSWER").unwrap().parse().unwrap_or(42)
}

/* a block comment that is never closed
pub fn hidden() { println!("not code"); }
