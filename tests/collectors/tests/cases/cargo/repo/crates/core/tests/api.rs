#[test]
fn distance_is_symmetric() {
    let (a, b) = ((1.0, 2.0), (4.0, 6.0));
    assert_eq!(geo_core::distance(a, b), geo_core::distance(b, a));
}
