//! API errors: JSON `{code, message}` with a stable code; 4xx for the
//! caller's mistakes, opaque 5xx (the cause goes to the log).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// An API error.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (JSON, hex, types, sizes).
    #[error("{message}")]
    BadRequest {
        /// Stable code.
        code: &'static str,
        /// Human message.
        message: String,
    },
    /// The request is not signed, or its signature, key, timestamp or nonce
    /// is refused (see [`crate::auth`]).
    #[error("{message}")]
    Unauthenticated {
        /// Stable code.
        code: &'static str,
        /// Human message.
        message: String,
    },
    /// The caller is authenticated but may not do this (its role, or the
    /// thing belongs to another key).
    #[error("{0}")]
    Forbidden(String),
    /// The body is larger than the node accepts.
    #[error("request body is too large")]
    TooLarge,
    /// The thing asked for does not exist, or no route has this path.
    #[error("{0}")]
    NotFound(String),
    /// The path is routed, but not for this method.
    #[error("this route answers {allowed} only")]
    MethodNotAllowed {
        /// The method the route answers (sent back in `Allow`).
        allowed: actix_web::http::Method,
    },
    /// A transaction was refused.
    #[error("{message}")]
    Rejected {
        /// The transaction error's code.
        code: &'static str,
        /// Human message.
        message: String,
    },
    /// A presentation did not verify.
    #[error("{message}")]
    NotVerified {
        /// The verification error's code.
        code: &'static str,
        /// Human message.
        message: String,
    },
    /// A well-formed request nobody could act on (a proof request naming an
    /// unknown schema or issuer, …).
    #[error("{message}")]
    Unprocessable {
        /// Stable code.
        code: &'static str,
        /// Human message.
        message: String,
    },
    /// The caller is over one of its limits; answered 429 with `Retry-After`.
    #[error("{message}")]
    TooManyRequests {
        /// Stable code.
        code: &'static str,
        /// Human message.
        message: String,
        /// Whole seconds, at least one, before retrying may succeed.
        retry_after: u64,
    },
    /// The node is not ready for this (no verifying key registered, …).
    #[error("{0}")]
    Unavailable(String),
    /// Something failed inside the node.
    #[error("internal error: {0}")]
    Internal(String),
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: String,
}

impl ApiError {
    /// A malformed-request error.
    pub fn bad(code: &'static str, message: impl ToString) -> Self {
        ApiError::BadRequest { code, message: message.to_string() }
    }

    /// The stable code.
    pub fn code(&self) -> &str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::Unauthenticated { code, .. }
            | ApiError::Rejected { code, .. }
            | ApiError::NotVerified { code, .. }
            | ApiError::Unprocessable { code, .. }
            | ApiError::TooManyRequests { code, .. } => code,
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::TooLarge => "body_too_large",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Rejected { .. } | ApiError::NotVerified { .. } | ApiError::Unprocessable { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                "internal error".to_string()
            }
            other => other.to_string(),
        };
        let mut response = HttpResponse::build(self.status_code());
        match self {
            // RFC 9110: a 401 names the scheme that would be accepted.
            ApiError::Unauthenticated { .. } => {
                response.insert_header(("www-authenticate", crate::auth::AUTH_SCHEME));
            }
            // RFC 9110: a 405 names the methods the route answers.
            ApiError::MethodNotAllowed { allowed } => {
                response.insert_header(("allow", allowed.as_str()));
            }
            _ => {}
        }
        if let ApiError::TooManyRequests { retry_after, .. } = self {
            response.insert_header(("retry-after", (*retry_after).max(1).to_string()));
        }
        response.json(Body { code: self.code(), message })
    }
}

impl From<zkreg_registry::TxError> for ApiError {
    fn from(e: zkreg_registry::TxError) -> Self {
        ApiError::Rejected { code: e.code(), message: e.to_string() }
    }
}

impl From<zkreg_registry::LedgerError> for ApiError {
    fn from(e: zkreg_registry::LedgerError) -> Self {
        match e {
            zkreg_registry::LedgerError::NotFound(what) => ApiError::NotFound(what),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<zkreg_verifier::VerifyError> for ApiError {
    fn from(e: zkreg_verifier::VerifyError) -> Self {
        if let zkreg_verifier::VerifyError::Challenge(zkreg_verifier::ChallengeError::Unavailable(cause)) = e {
            return ApiError::Internal(cause);
        }
        ApiError::NotVerified { code: e.code(), message: e.to_string() }
    }
}
