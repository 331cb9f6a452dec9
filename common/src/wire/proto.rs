//! The generated Mesos v1 message types (prost structs with pbjson serde
//! impls), laid out in modules that mirror the protobuf packages so the
//! generated cross-package paths resolve.

#![allow(clippy::all, clippy::pedantic, missing_docs, rustdoc::all)]

/// Package `mesos`.
pub mod mesos {
    /// Package `mesos.v1`: the core messages.
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/mesos.v1.rs"));
        include!(concat!(env!("OUT_DIR"), "/mesos.v1.serde.rs"));

        /// Package `mesos.v1.scheduler`: scheduler API calls and events.
        pub mod scheduler {
            include!(concat!(env!("OUT_DIR"), "/mesos.v1.scheduler.rs"));
            include!(concat!(env!("OUT_DIR"), "/mesos.v1.scheduler.serde.rs"));
        }

        /// Package `mesos.v1.executor`: executor API calls and events.
        pub mod executor {
            include!(concat!(env!("OUT_DIR"), "/mesos.v1.executor.rs"));
            include!(concat!(env!("OUT_DIR"), "/mesos.v1.executor.serde.rs"));
        }
    }
}
