//! Geometry core.

pub mod parse;

/// Distance between two points.
///
/// ```
/// assert_eq!(geo_core::distance((0.0, 0.0), (3.0, 4.0)), 5.0);
/// ```
pub fn distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    #[test]
    fn zero_distance() {
        assert_eq!(super::distance((1.0, 1.0), (1.0, 1.0)), 0.0);
    }
}
