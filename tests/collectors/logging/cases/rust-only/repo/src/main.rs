use log::info;

fn main() {
    env_logger::init();
    info!("starting");
    println!("fetched {} items", 3);
}
