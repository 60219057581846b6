pub fn café() -> &'static str { "latin-1, not UTF-8" }
