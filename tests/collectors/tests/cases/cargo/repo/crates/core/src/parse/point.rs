pub fn parse_point(text: &str) -> Option<(f64, f64)> {
    let (x, y) = text.split_once(',')?;
    Some((x.trim().parse().ok()?, y.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_a_pair() {
        assert_eq!(super::parse_point("1, 2"), Some((1.0, 2.0)));
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(super::parse_point("x"), Some((0.0, 0.0)));
    }

    #[test]
    #[ignore = "needs the geoid grid"]
    fn parses_altitude() {}
}
