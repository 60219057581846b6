use std::fs;

fn main() {
    // every contract in proto/, whatever its name
    let protos: Vec<_> = fs::read_dir("proto")
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().map_or(false, |ext| ext == "proto"))
        .collect();
    prost_build::compile_protos(&protos, &["proto"]).unwrap();
}
