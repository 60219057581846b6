//! Things a naive scanner gets wrong. Only the calls marked REAL are code.
//! Doc comment: println!("doc") .unwrap() panic!()

/// Also a doc comment: dbg!(x) .expect("no")
pub fn traps(x: Option<u32>) -> u32 {
    let escaped = "a \" .unwrap() \\";
    let raw = r#"println!("raw") and .expect("raw")"#;
    let hashes = r###"## "# "## still inside .unwrap() panic!("x") "###;
    let quote = '"';
    let backslash = '\\';
    let apostrophe = '\'';
    let smile = '\u{1F600}';
    let byte = b'"';
    let raw_bytes = br#"dbg!(raw bytes)"#;
    let c_string = c"eprintln!(\"c\")";
    let continued = "first \
        .unwrap() second";
    let r#match = 1;
    // .unwrap() in a line comment
    /* level 1 /* level 2 .unwrap() */ still level 1: panic!("no") */ let v = x.unwrap(); // REAL (1)
    let _ = (escaped, raw, hashes, quote, backslash, apostrophe, smile, byte, raw_bytes, c_string, continued);
    v + r#match
}

pub fn longest<'a>(a: &'a str, b: &'a str) -> &'a str {
    'outer: loop {
        if a.len() > b.len() {
            break 'outer;
        }
        eprintln!("b wins"); // REAL (2)
        return b;
    }
    a
}

pub fn last(xs: &[u8]) -> u8 {
    *xs.last().expect("non-empty") // REAL (3)
}

pub fn must(flag: bool) {
    if !flag {
        panic!("flag must be set"); // REAL (4)
    }
    let _unchanged = "'"; let _also = "*/ .unwrap() /*";
}
