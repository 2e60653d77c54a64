//! Errors as HTTP answers: the status of each [`ApiError`], and its JSON
//! body `{code, message}`; an internal error's cause is logged here, once,
//! and never sent.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::ApiError;

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: String,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::Refused { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Rejected { .. } | ApiError::NotVerified { .. } | ApiError::Unprocessable { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Unavailable(_) | ApiError::Retry { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Forwarded { status, .. } => StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY),
            ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            ApiError::Internal { context, .. } => {
                let mut causes = String::new();
                let mut source = std::error::Error::source(self);
                while let Some(cause) = source {
                    causes.push_str(": ");
                    causes.push_str(&cause.to_string());
                    source = cause.source();
                }
                tracing::error!(%context, causes = %causes.trim_start_matches(": "), "internal error");
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
        if let ApiError::TooManyRequests { retry_after, .. } | ApiError::Retry { retry_after, .. } = self {
            response.insert_header(("retry-after", (*retry_after).max(1).to_string()));
        }
        response.json(Body { code: self.code(), message })
    }
}
