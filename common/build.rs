//! Generates the Mesos v1 message types from `proto/` at build time: prost
//! structs for the binary wire format and pbjson serde impls for Mesos's JSON
//! form. The `.proto` files are parsed by protox, so no `protoc` is needed.

use std::path::PathBuf;

use prost::Message;

const PROTO_ROOT: &str = "proto";
const PROTO_FILES: [&str; 3] = [
    "mesos/v1/mesos.proto",
    "mesos/v1/scheduler/scheduler.proto",
    "mesos/v1/executor/executor.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);

    let descriptors = protox::compile(PROTO_FILES, [PROTO_ROOT])?;
    let encoded_descriptors = descriptors.encode_to_vec();

    prost_build::Config::new()
        .out_dir(&out_dir)
        .compile_fds(descriptors)?;

    // Mesos's JSON keeps the .proto field names (snake_case) and writes enums
    // by name; newer masters may add fields and enum values we do not know.
    pbjson_build::Builder::new()
        .register_descriptors(&encoded_descriptors)?
        .out_dir(&out_dir)
        .preserve_proto_field_names()
        .ignore_unknown_fields()
        .ignore_unknown_enum_variants()
        .build(&[".mesos"])?;
    Ok(())
}
