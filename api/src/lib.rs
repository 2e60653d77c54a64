//! zkreg's REST node: the ledger behind a versioned JSON API.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod client;
pub mod dto;
pub mod error;
pub mod metrics;
pub mod node;
pub mod openapi;
pub mod requests;
pub mod routes;
