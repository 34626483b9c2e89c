//! The controller's error answers: a status and `{"error": "<message>"}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error the simulator answers with, worded like the controller's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The controller's message.
    pub message: String,
    /// Answer in plain text (the controller's CSRF failures) instead of `{"error": ...}`.
    pub plain_text: bool,
}

impl ApiError {
    /// Any status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            plain_text: false,
        }
    }

    /// An error answered as plain text.
    pub fn plain_text(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            plain_text: true,
            ..Self::new(status, message)
        }
    }

    /// 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404 `<Model> object not found!`, the controller's answer for an unknown uuid.
    pub fn not_found(model: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{model} object not found!"))
    }

    /// 403 for a tenant that does not exist.
    pub fn no_tenant(name: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, format!("Tenant '{name}' does not exist!"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.plain_text {
            return (self.status, self.message).into_response();
        }
        (self.status, axum::Json(serde_json::json!({ "error": self.message }))).into_response()
    }
}

/// Result of a simulated controller operation.
pub type ApiResult<T> = Result<T, ApiError>;
