pub mod billing {
    tonic::include_proto!("anops.billing.v1");
}

fn main() {
    let _ = billing::ChargeRequest { customer: "c".into(), cents: 1 };
}
