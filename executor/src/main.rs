//! `rmesos-executor`: the Mesos v1 executor that computes partitions.

fn main() {
    eprintln!("rmesos-executor: not built yet");
    std::process::exit(1);
}
