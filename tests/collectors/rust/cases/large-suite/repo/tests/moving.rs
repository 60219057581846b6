use assert_cmd::Command;

fn stockctl() -> Command {
    Command::cargo_bin("stockctl").unwrap()
}

#[test]
fn move_case_0() {
    stockctl().args(["move", "sku-0"]).assert().success();
}

#[test]
fn move_case_1() {
    stockctl().args(["move", "sku-1"]).assert().success();
}

#[test]
fn move_case_2() {
    stockctl().args(["move", "sku-2"]).assert().success();
}

#[test]
fn move_case_3() {
    stockctl().args(["move", "sku-3"]).assert().success();
}

#[test]
fn move_case_4() {
    stockctl().args(["move", "sku-4"]).assert().success();
}

#[test]
fn move_case_5() {
    stockctl().args(["move", "sku-5"]).assert().success();
}

#[test]
fn move_case_6() {
    stockctl().args(["move", "sku-6"]).assert().success();
}

#[test]
fn move_case_7() {
    stockctl().args(["move", "sku-7"]).assert().success();
}

#[test]
fn move_case_8() {
    stockctl().args(["move", "sku-8"]).assert().success();
}

#[test]
fn move_case_9() {
    stockctl().args(["move", "sku-9"]).assert().success();
}

#[test]
fn move_case_10() {
    stockctl().args(["move", "sku-10"]).assert().success();
}

#[test]
fn move_case_11() {
    stockctl().args(["move", "sku-11"]).assert().success();
}

#[test]
fn move_case_12() {
    stockctl().args(["move", "sku-12"]).assert().success();
}

#[test]
fn move_case_13() {
    stockctl().args(["move", "sku-13"]).assert().success();
}

#[test]
fn move_case_14() {
    stockctl().args(["move", "sku-14"]).assert().success();
}

#[test]
fn move_case_15() {
    stockctl().args(["move", "sku-15"]).assert().success();
}

#[test]
fn move_case_16() {
    stockctl().args(["move", "sku-16"]).assert().success();
}

#[test]
fn move_case_17() {
    stockctl().args(["move", "sku-17"]).assert().success();
}

#[test]
fn move_case_18() {
    stockctl().args(["move", "sku-18"]).assert().success();
}

#[test]
fn move_case_19() {
    stockctl().args(["move", "sku-19"]).assert().success();
}

#[test]
fn move_case_20() {
    stockctl().args(["move", "sku-20"]).assert().success();
}

#[test]
fn move_case_21() {
    stockctl().args(["move", "sku-21"]).assert().success();
}

#[test]
fn move_case_22() {
    stockctl().args(["move", "sku-22"]).assert().success();
}

#[test]
fn move_case_23() {
    stockctl().args(["move", "sku-23"]).assert().success();
}

#[test]
fn move_case_24() {
    stockctl().args(["move", "sku-24"]).assert().success();
}

#[test]
fn move_case_25() {
    stockctl().args(["move", "sku-25"]).assert().success();
}
