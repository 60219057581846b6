include!(concat!(env!("OUT_DIR"), "/anops.events.v1.rs"));
