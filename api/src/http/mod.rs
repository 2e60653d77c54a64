//! The HTTP layer over the service layer: routes by area, the signature
//! headers of bank calls, errors as JSON, the OpenAPI document, the request
//! metrics, and the server.

pub mod auth;
pub mod consistency;
pub mod explorer;
pub mod metrics;
pub mod openapi;
pub mod response;
pub mod routes;
pub mod server;
