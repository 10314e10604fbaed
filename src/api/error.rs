//! Every error the API can answer, and the one exhaustive `match` that turns each into
//! its HTTP status, its stable `error` code and one readable sentence (SPEC section 4).

use hyper::StatusCode;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    Unauthorized,
    InvalidToken,
    TargetTooShort(String),
    InvalidTarget(String),
    InvalidKind(String),
    InvalidLang(String),
    InvalidJson(String),
    PayloadTooLarge {
        max_bytes: usize,
    },
    RequestTimeout,
    Forbidden,
    ScanNotFound,
    /// The scan has no artifacts yet (queued, running) or never will (failed).
    ScanNotCompleted {
        status: &'static str,
    },
    InvalidFormat(String),
    NotFound,
    MethodNotAllowed {
        allow: &'static str,
    },
    InsufficientBalance {
        balance: i64,
    },
    RateLimitInflight {
        limit: u32,
        retry_after: u64,
    },
    RateLimitHour {
        limit: u32,
        retry_after: u64,
    },
    RateLimitDay {
        limit: u32,
        retry_after: u64,
    },
    EngineSubmitFailed,
    NotImplemented(&'static str),
    TierNotConfigured(String),
    Internal,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized | ApiError::InvalidToken => StatusCode::UNAUTHORIZED,
            ApiError::TargetTooShort(_)
            | ApiError::InvalidTarget(_)
            | ApiError::InvalidKind(_)
            | ApiError::InvalidLang(_)
            | ApiError::InvalidFormat(_)
            | ApiError::InvalidJson(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::ScanNotFound | ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::ScanNotCompleted { .. } => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::InsufficientBalance { .. } => StatusCode::PAYMENT_REQUIRED,
            ApiError::RateLimitInflight { .. }
            | ApiError::RateLimitHour { .. }
            | ApiError::RateLimitDay { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::EngineSubmitFailed => StatusCode::BAD_GATEWAY,
            ApiError::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
            ApiError::TierNotConfigured(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized => "unauthorized",
            ApiError::InvalidToken => "invalid_token",
            ApiError::TargetTooShort(_) => "target_too_short",
            ApiError::InvalidTarget(_) => "invalid_target",
            ApiError::InvalidKind(_) => "invalid_kind",
            ApiError::InvalidLang(_) => "invalid_lang",
            ApiError::InvalidJson(_) => "invalid_json",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::RequestTimeout => "request_timeout",
            ApiError::Forbidden => "forbidden",
            ApiError::ScanNotFound => "scan_not_found",
            ApiError::ScanNotCompleted { .. } => "scan_not_completed",
            ApiError::InvalidFormat(_) => "invalid_format",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::InsufficientBalance { .. } => "insufficient_balance",
            ApiError::RateLimitInflight { .. } => "rate_limit_inflight",
            ApiError::RateLimitHour { .. } => "rate_limit_hour",
            ApiError::RateLimitDay { .. } => "rate_limit_day",
            ApiError::EngineSubmitFailed => "engine_submit_failed",
            ApiError::NotImplemented(_) => "not_implemented",
            ApiError::TierNotConfigured(_) => "tier_not_configured",
            ApiError::Internal => "internal_error",
        }
    }

    pub fn message(&self) -> String {
        match self {
            ApiError::Unauthorized => {
                "Send your key as an 'Authorization: Bearer skopio_live_...' header.".to_string()
            }
            ApiError::InvalidToken => "The API key is unknown or has been revoked.".to_string(),
            ApiError::TargetTooShort(m)
            | ApiError::InvalidTarget(m)
            | ApiError::InvalidKind(m)
            | ApiError::InvalidLang(m)
            | ApiError::InvalidFormat(m)
            | ApiError::InvalidJson(m) => m.clone(),
            ApiError::PayloadTooLarge { max_bytes } => {
                format!("The request body is larger than {max_bytes} bytes.")
            }
            ApiError::RequestTimeout => "The request body did not arrive in time.".to_string(),
            ApiError::Forbidden => "This scan belongs to another customer.".to_string(),
            ApiError::ScanNotFound => "No scan has this id.".to_string(),
            ApiError::ScanNotCompleted { status: "failed" } => {
                "This scan failed, so it has no report or person card.".to_string()
            }
            ApiError::ScanNotCompleted { status } => format!(
                "This scan is {status}; its report and person card exist once it is completed."
            ),
            ApiError::NotFound => "No such endpoint.".to_string(),
            ApiError::MethodNotAllowed { allow } => {
                format!("This endpoint accepts {allow} only.")
            }
            ApiError::InsufficientBalance { balance } => {
                format!("Your balance is {balance} credits; a scan costs 1.")
            }
            ApiError::RateLimitInflight { limit, .. } => {
                format!("You already have {limit} scans queued or running, your tier's limit.")
            }
            ApiError::RateLimitHour { limit, .. } => {
                format!("Your tier allows {limit} scans per hour (UTC); this hour's are used.")
            }
            ApiError::RateLimitDay { limit, .. } => {
                format!("Your tier allows {limit} scans per day (UTC); today's are used.")
            }
            ApiError::EngineSubmitFailed => {
                "The engine cannot take the scan now; nothing was charged. Retry in 30 s."
                    .to_string()
            }
            ApiError::NotImplemented(what) => format!("{what} is not available in this build."),
            ApiError::TierNotConfigured(tier) => format!(
                "Your account is on tier {tier:?}, which this appliance's configuration does not \
                 define; nothing was charged. Please contact the operator."
            ),
            ApiError::Internal => {
                "An internal error occurred; nothing was charged for this request.".to_string()
            }
        }
    }

    /// Seconds for `Retry-After`, where the error has one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::RateLimitInflight { retry_after, .. }
            | ApiError::RateLimitHour { retry_after, .. }
            | ApiError::RateLimitDay { retry_after, .. } => Some(*retry_after),
            ApiError::EngineSubmitFailed => Some(30),
            _ => None,
        }
    }

    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("ok".into(), json!(false));
        body.insert("error".into(), json!(self.code()));
        body.insert("message".into(), json!(self.message()));
        if let Some(seconds) = self.retry_after() {
            body.insert("retry_after".into(), json!(seconds));
        }
        if let ApiError::InsufficientBalance { balance } = self {
            body.insert("balance".into(), json!(balance));
        }
        if let ApiError::ScanNotCompleted { status } = self {
            body.insert("status".into(), json!(status));
        }
        if let ApiError::PayloadTooLarge { max_bytes } = self {
            body.insert("max_bytes".into(), json!(max_bytes));
        }
        Value::Object(body)
    }
}
