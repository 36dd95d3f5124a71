//! The benchmark of issue #11 (see docs/performance.md):
//!
//! - [`load`]: a load generator over the generated clients — concurrent
//!   callers for a duration or at a fixed rate, a mix of operations per
//!   role ([`ops`]), HdrHistogram latencies and errors by status code;
//! - [`floor`]: the database floor, the statements an RPC issued captured
//!   from the service and replayed by pgbench;
//! - [`process`]: the server as a child process and its resident memory;
//! - [`report`]: every measurement at every data scale in one run.
//!
//! Nothing here is a test: the figures depend on the machine.

pub mod floor;
pub mod load;
pub mod ops;
pub mod process;
pub mod report;
