mod point;

pub use point::parse_point;
