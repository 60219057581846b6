pub fn f() { println!("bad crate"); }
