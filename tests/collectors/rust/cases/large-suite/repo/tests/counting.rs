use assert_cmd::Command;

fn stockctl() -> Command {
    Command::cargo_bin("stockctl").unwrap()
}

#[test]
fn count_case_0() {
    stockctl().args(["count", "sku-0"]).assert().success();
}

#[test]
fn count_case_1() {
    stockctl().args(["count", "sku-1"]).assert().success();
}

#[test]
fn count_case_2() {
    stockctl().args(["count", "sku-2"]).assert().success();
}

#[test]
fn count_case_3() {
    stockctl().args(["count", "sku-3"]).assert().success();
}

#[test]
fn count_case_4() {
    stockctl().args(["count", "sku-4"]).assert().success();
}

#[test]
fn count_case_5() {
    stockctl().args(["count", "sku-5"]).assert().success();
}

#[test]
fn count_case_6() {
    stockctl().args(["count", "sku-6"]).assert().success();
}

#[test]
fn count_case_7() {
    stockctl().args(["count", "sku-7"]).assert().success();
}

#[test]
fn count_case_8() {
    stockctl().args(["count", "sku-8"]).assert().success();
}

#[test]
fn count_case_9() {
    stockctl().args(["count", "sku-9"]).assert().success();
}

#[test]
fn count_case_10() {
    stockctl().args(["count", "sku-10"]).assert().success();
}

#[test]
fn count_case_11() {
    stockctl().args(["count", "sku-11"]).assert().success();
}

#[test]
fn count_case_12() {
    stockctl().args(["count", "sku-12"]).assert().success();
}

#[test]
fn count_case_13() {
    stockctl().args(["count", "sku-13"]).assert().success();
}

#[test]
fn count_case_14() {
    stockctl().args(["count", "sku-14"]).assert().success();
}

#[test]
fn count_case_15() {
    stockctl().args(["count", "sku-15"]).assert().success();
}

#[test]
fn count_case_16() {
    stockctl().args(["count", "sku-16"]).assert().success();
}

#[test]
fn count_case_17() {
    stockctl().args(["count", "sku-17"]).assert().success();
}

#[test]
fn count_case_18() {
    stockctl().args(["count", "sku-18"]).assert().success();
}

#[test]
fn count_case_19() {
    stockctl().args(["count", "sku-19"]).assert().success();
}

#[test]
fn count_case_20() {
    stockctl().args(["count", "sku-20"]).assert().success();
}

#[test]
fn count_case_21() {
    stockctl().args(["count", "sku-21"]).assert().success();
}

#[test]
fn count_case_22() {
    stockctl().args(["count", "sku-22"]).assert().success();
}

#[test]
fn count_case_23() {
    stockctl().args(["count", "sku-23"]).assert().success();
}

#[test]
fn count_case_24() {
    stockctl().args(["count", "sku-24"]).assert().success();
}

#[test]
fn count_case_25() {
    stockctl().args(["count", "sku-25"]).assert().success();
}

#[test]
fn count_case_26() {
    stockctl().args(["count", "sku-26"]).assert().success();
}

#[test]
fn count_case_27() {
    stockctl().args(["count", "sku-27"]).assert().success();
}

#[test]
fn count_case_28() {
    stockctl().args(["count", "sku-28"]).assert().success();
}

#[test]
fn count_case_29() {
    stockctl().args(["count", "sku-29"]).assert().success();
}

#[test]
fn count_case_30() {
    stockctl().args(["count", "sku-30"]).assert().success();
}

#[test]
fn count_case_31() {
    stockctl().args(["count", "sku-31"]).assert().success();
}

#[test]
fn count_case_32() {
    stockctl().args(["count", "sku-32"]).assert().success();
}

#[test]
fn count_case_33() {
    stockctl().args(["count", "sku-33"]).assert().success();
}

#[test]
fn count_case_34() {
    stockctl().args(["count", "sku-34"]).assert().success();
}

#[test]
fn count_case_35() {
    stockctl().args(["count", "sku-35"]).assert().success();
}

#[test]
fn count_case_36() {
    stockctl().args(["count", "sku-36"]).assert().success();
}

#[test]
fn count_case_37() {
    stockctl().args(["count", "sku-37"]).assert().success();
}

#[test]
fn count_case_38() {
    stockctl().args(["count", "sku-38"]).assert().success();
}

#[test]
fn count_case_39() {
    stockctl().args(["count", "sku-39"]).assert().success();
}

#[test]
fn count_case_40() {
    stockctl().args(["count", "sku-40"]).assert().success();
}

#[test]
fn count_case_41() {
    stockctl().args(["count", "sku-41"]).assert().success();
}

#[test]
fn count_case_42() {
    stockctl().args(["count", "sku-42"]).assert().success();
}

#[test]
fn count_case_43() {
    stockctl().args(["count", "sku-43"]).assert().success();
}
