//! `relayctl`: inspect and replay relay events.
//!
//! FIXME: the crate-level docs are comments (`//!`), so this counts.

use std::collections::HashMap;

/// Events older than this are dropped. TODO: make it configurable.
const MAX_AGE_SECS: u64 = 3600;

const BANNER: &str = "relayctl // TODO: not a comment, a string";
const TEMPLATE: &str = r##"
{"note": "a raw string with "# inside it" }
# TODO: still raw-string content
"##;

fn quote_char() -> char {
    '"' // TODO: the char literal '"' does not open a string
}

fn longest<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.len() > b.len() { a } else { b } // XXX lifetimes are not char literals
}

/*
 * Replay strategy.
 *   /* an inner comment: HACK around the inner one */
 * TODO: this line is still inside the outer comment
 */
fn replay(events: &HashMap<String, u64>) -> usize {
    let bytes = b"FIXME in a byte string";
    let escaped = "a \" quote and // TODO after it, still in the string";
    events.values().filter(|age| **age < MAX_AGE_SECS).count() + bytes.len() + escaped.len()
}

fn main() {
    println!("{BANNER}{TEMPLATE}{}{}", quote_char(), longest("a", "bb"));
    let _ = replay(&HashMap::new()); /* HACK: inline block comment */
}
