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
    /// A bulk id of another customer.
    BulkForbidden,
    /// The customer's tier does not include bulk calls.
    BulkNotInTier(String),
    ScanNotFound,
    BulkNotFound,
    TooManyTargets {
        max: usize,
        given: usize,
    },
    /// A bulk call none of whose targets is valid; each is listed with its reason.
    NoValidTargets {
        rejected: Value,
    },
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
        cost: usize,
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
            | ApiError::InvalidJson(_)
            | ApiError::InvalidFormat(_)
            | ApiError::TooManyTargets { .. }
            | ApiError::NoValidTargets { .. } => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Forbidden | ApiError::BulkForbidden | ApiError::BulkNotInTier(_) => {
                StatusCode::FORBIDDEN
            }
            ApiError::ScanNotFound | ApiError::BulkNotFound | ApiError::NotFound => {
                StatusCode::NOT_FOUND
            }
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
            ApiError::Forbidden | ApiError::BulkForbidden | ApiError::BulkNotInTier(_) => {
                "forbidden"
            }
            ApiError::ScanNotFound => "scan_not_found",
            ApiError::BulkNotFound => "bulk_not_found",
            ApiError::TooManyTargets { .. } => "too_many_targets",
            ApiError::NoValidTargets { .. } => "invalid_target",
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
            ApiError::BulkForbidden => "This bulk belongs to another customer.".to_string(),
            ApiError::BulkNotInTier(tier) => format!(
                "Bulk lookups are not part of your tier ({tier}); the business and enterprise \
                 tiers include them. Submit targets one by one with POST /api/v1/scan."
            ),
            ApiError::ScanNotFound => "No scan has this id.".to_string(),
            ApiError::BulkNotFound => "No bulk has this id.".to_string(),
            ApiError::TooManyTargets { max, given } => {
                format!("A bulk call takes at most {max} targets; this one has {given}.")
            }
            ApiError::NoValidTargets { .. } => {
                "None of the targets is valid; see \"rejected\" for each one's reason; nothing \
                 was charged."
                    .to_string()
            }
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
            ApiError::InsufficientBalance { balance, cost: 1 } => {
                format!("Your balance is {balance} credits; a scan costs 1.")
            }
            ApiError::InsufficientBalance { balance, cost } => format!(
                "Your balance is {balance} credits; these {cost} scans cost {cost}. Nothing \
                 was queued or charged."
            ),
            ApiError::RateLimitInflight { limit, .. } => format!(
                "Your tier allows {limit} scans queued or running at once; this request would \
                 go over it."
            ),
            ApiError::RateLimitHour { limit, .. } => format!(
                "Your tier allows {limit} scans per hour (UTC); this request would go over this \
                 hour's."
            ),
            ApiError::RateLimitDay { limit, .. } => format!(
                "Your tier allows {limit} scans per day (UTC); this request would go over \
                 today's."
            ),
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
        if let ApiError::InsufficientBalance { balance, cost } = self {
            body.insert("balance".into(), json!(balance));
            body.insert("cost".into(), json!(cost));
        }
        if let ApiError::TooManyTargets { max, .. } = self {
            body.insert("max_targets".into(), json!(max));
        }
        if let ApiError::NoValidTargets { rejected } = self {
            body.insert("rejected".into(), rejected.clone());
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
