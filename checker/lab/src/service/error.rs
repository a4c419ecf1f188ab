use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::PositionError;

/// What can go wrong in the distance service. Each error still reaches the caller as a
/// proper HTTP error (the "always re-raise" rule): instrumentation records it, it never
/// swallows it.
///
/// A handler returns `Result<_, AppError>`; axum turns the error into its status and a
/// JSON body `{"error": "<its Display text>"}`. [`AppError::kind`] is the value for
/// `error.type`, its `Display` text a span's status description.
#[derive(Debug, Clone, PartialEq)]
pub enum AppError {
    /// The place is not in the bundled table: 404.
    UnknownPlace(String),
    /// The position service could not be reached or answered badly: 502.
    PositionUnavailable(PositionError),
}

impl AppError {
    /// The HTTP status the caller gets: 404 or 502 (what `http.response.status_code`
    /// records).
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::UnknownPlace(_) => StatusCode::NOT_FOUND,
            AppError::PositionUnavailable(_) => StatusCode::BAD_GATEWAY,
        }
    }

    /// A short, low-cardinality name for the kind of error (for `error.type`).
    pub fn kind(&self) -> &'static str {
        match self {
            AppError::UnknownPlace(_) => "unknown_place",
            AppError::PositionUnavailable(_) => "position_unavailable",
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::UnknownPlace(place) => write!(f, "unknown place `{place}`"),
            AppError::PositionUnavailable(e) => write!(f, "ISS position unavailable: {e}"),
        }
    }
}

impl std::error::Error for AppError {}

impl From<PositionError> for AppError {
    fn from(e: PositionError) -> Self {
        AppError::PositionUnavailable(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.to_string() });
        (self.status(), Json(body)).into_response()
    }
}
