#[test]
fn public_api_adds() {
    assert_eq!(calc::add(1, 1), 2);
}

#[test]
fn public_api_rejects_overflow() {
    panic!("no overflow check");
}
