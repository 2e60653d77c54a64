//! zkreg's node as a library.
//!
//! - [`service`]: the use cases (submit a transaction, issue a request,
//!   verify presentations, read the chain) over the stores the node owns;
//!   no HTTP in it.
//! - [`http`]: the REST API over the service, its OpenAPI document and the server.
//! - [`auth`]: the signing scheme of bank calls, the nonce cache and the role policy.
//! - [`dto`]: the API's wire types, shared by the server and the [`client`].
//! - [`client`]: a typed blocking client of the API, with the signing scheme.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod client;
pub mod dto;
pub mod error;
pub mod http;
pub mod metrics;
pub mod service;

pub use http::server::{start, NodeThread, RunningNode};
pub use service::{now_secs, ClusterConfig, Node, NodeConfig};
