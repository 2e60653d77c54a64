//! The node's errors, each with a stable code. The HTTP layer answers them
//! as JSON `{code, message}` ([`crate::http::response`]): 4xx for the
//! caller's mistakes, opaque 5xx (the cause goes to the log).

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
    /// The caller may not do this, for a reason with a code of its own (an
    /// analyst's privacy budget is spent); answered 403.
    #[error("{message}")]
    Refused {
        /// Stable code.
        code: &'static str,
        /// Human message.
        message: String,
    },
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
        allowed: String,
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
    /// The thing is not in a state that allows this (a record under a legal
    /// hold, already purged, already stored); answered 409.
    #[error("{message}")]
    Conflict {
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
    /// The cluster could not take this now, and a retry may succeed (no
    /// leader during an election, leadership lost with the call in flight,
    /// the leader unreachable); answered 503 with `Retry-After`.
    #[error("{message}")]
    Retry {
        /// Stable code.
        code: &'static str,
        /// Human message.
        message: String,
        /// Whole seconds before retrying.
        retry_after: u64,
    },
    /// The leader's answer to a call this follower forwarded, passed on as is.
    #[error("{message}")]
    Forwarded {
        /// The leader's HTTP status.
        status: u16,
        /// The leader's stable code.
        code: String,
        /// The leader's message.
        message: String,
    },
    /// Something failed inside the node. Answered as an opaque 500; the
    /// context and the whole chain of causes are logged once, at the edge.
    #[error("internal error: {context}")]
    Internal {
        /// What the node was doing.
        context: String,
        /// Why it failed, kept for the log.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl ApiError {
    /// An internal error with no underlying cause.
    pub fn internal(context: impl Into<String>) -> Self {
        ApiError::Internal { context: context.into(), source: None }
    }

    /// An internal error caused by `source` while doing `context`.
    pub fn caused(context: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        ApiError::Internal { context: context.into(), source: Some(Box::new(source)) }
    }

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
            | ApiError::TooManyRequests { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Refused { code, .. }
            | ApiError::Retry { code, .. } => code,
            ApiError::Forwarded { code, .. } => code,
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::TooLarge => "body_too_large",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal { .. } => "internal",
        }
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
            other => ApiError::caused("ledger", other),
        }
    }
}

impl From<zkreg_verifier::VerifyError> for ApiError {
    fn from(e: zkreg_verifier::VerifyError) -> Self {
        if let zkreg_verifier::VerifyError::Challenge(zkreg_verifier::ChallengeError::Unavailable(cause)) = e {
            return ApiError::internal(format!("the challenge book: {cause}"));
        }
        ApiError::NotVerified { code: e.code(), message: e.to_string() }
    }
}
