pub fn banner(command: &str) -> String {
    format!("ao {command}")
}

pub fn last_lines(text: &str, n: usize) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].to_vec()
}

#[cfg(test)]
mod tests {
    #[test]
    fn banner_names_the_command() {
        assert_eq!(super::banner("build"), "ao build");
    }
}
