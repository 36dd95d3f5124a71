//! Generated protobuf messages and tonic clients/servers for every Samverkan
//! service, and the descriptor set that gRPC reflection serves.

#![allow(clippy::all, clippy::pedantic, missing_docs)]

pub use prost_types::Timestamp;

pub mod codec;

/// `google.rpc.ErrorInfo.domain` of every Samverkan error (AIP-193); the
/// reasons are in `samverkan_core::reasons` and `docs/errors.md`.
pub const ERROR_DOMAIN: &str = "samverkan.se";

/// Encoded `FileDescriptorSet` of every Samverkan proto file.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/samverkan_descriptor.bin"));

pub mod agreements {
    pub mod v1 {
        tonic::include_proto!("samverkan.agreements.v1");
    }
}

pub mod common {
    pub mod v1 {
        tonic::include_proto!("samverkan.common.v1");
    }
}

pub mod costmodel {
    pub mod v1 {
        tonic::include_proto!("samverkan.costmodel.v1");

        impl Period {
            /// A whole calendar year (`month` 0).
            pub fn of_year(year: i32) -> Self {
                Period { year, month: 0 }
            }

            /// One month (1 = January) of a year.
            pub fn of_month(year: i32, month: i32) -> Self {
                Period { year, month }
            }
        }
    }
}

pub mod decisions {
    pub mod v1 {
        tonic::include_proto!("samverkan.decisions.v1");
    }
}

pub mod forums {
    pub mod v1 {
        tonic::include_proto!("samverkan.forums.v1");
    }
}

pub mod roles {
    pub mod v1 {
        tonic::include_proto!("samverkan.roles.v1");
    }
}

/// Fully qualified gRPC service names, as reflection and health report them.
pub mod service_names {
    pub const ROLES: &str = "samverkan.roles.v1.RolesService";
    pub const AGREEMENTS: &str = "samverkan.agreements.v1.AgreementsService";
    pub const FORUMS: &str = "samverkan.forums.v1.ForumsService";
    pub const DECISIONS: &str = "samverkan.decisions.v1.DecisionsService";
    pub const COSTMODEL: &str = "samverkan.costmodel.v1.CostModelService";
}
