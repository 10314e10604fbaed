//! Webhook secrets and signatures. A secret is `whsec_` + base64 of 32 random bytes, and
//! every delivery is signed two ways with it:
//!
//! - Skopio's own header, as the public API document shows: `X-Skopio-Signature:
//!   sha256=<hex>`, an HMAC-SHA256 of the raw body keyed with the secret *string* (the
//!   document's Node.js snippet passes the string to `createHmac`).
//! - Standard Webhooks: `webhook-signature: v1,<base64>`, an HMAC-SHA256 of
//!   `{webhook-id}.{webhook-timestamp}.{body}` keyed with the base64-decoded bytes after
//!   `whsec_`, so any Standard Webhooks library verifies it and rejects replays by the
//!   timestamp.
//!
//! During a rotation's grace period `webhook-signature` carries one `v1,` signature per
//! secret, space-separated (libraries accept any of them), and Skopio's own signature
//! with the previous secret travels in `X-Skopio-Signature-Previous`, since the
//! document's snippet compares one whole header value.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::hmac;

use crate::ids;
use crate::store::Webhook;

pub const SECRET_PREFIX: &str = "whsec_";

/// A new signing secret from the OS CSPRNG.
pub fn new_secret() -> String {
    format!(
        "{SECRET_PREFIX}{}",
        STANDARD.encode(ids::random_bytes::<32>())
    )
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 15)] as char);
    }
    out
}

/// `sha256=<hex>` of `body`, keyed with the secret string itself.
pub fn skopio_signature(secret: &str, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    format!("sha256={}", hex(hmac::sign(&key, body).as_ref()))
}

/// `v1,<base64>` over `id.timestamp.body`, keyed with the secret's decoded bytes. A
/// secret that is not `whsec_` + base64 (none that Skopio mints) is keyed as its bytes.
pub fn standard_signature(secret: &str, id: &str, timestamp_s: i64, body: &[u8]) -> String {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    let key_bytes = STANDARD
        .decode(encoded)
        .unwrap_or_else(|_| secret.as_bytes().to_vec());
    let key = hmac::Key::new(hmac::HMAC_SHA256, &key_bytes);
    let mut context = hmac::Context::with_key(&key);
    context.update(format!("{id}.{timestamp_s}.").as_bytes());
    context.update(body);
    format!("v1,{}", STANDARD.encode(context.sign().as_ref()))
}

/// The secrets a delivery made at `now_ms` is signed with: the current one first, then
/// the previous one while its grace period lasts.
pub fn active_secrets(webhook: &Webhook, now_ms: i64) -> Vec<&str> {
    let mut secrets = vec![webhook.secret.as_str()];
    if let Some(previous) = &webhook.previous_secret
        && now_ms < webhook.previous_until_ms
    {
        secrets.push(previous.as_str());
    }
    secrets
}

/// Every header of one delivery attempt made at `now_ms` (the timestamps are the
/// attempt's, so a receiver's replay window applies to each retry on its own).
pub fn headers(
    webhook: &Webhook,
    delivery_id: &str,
    event: &str,
    body: &[u8],
    now_ms: i64,
) -> Vec<(String, String)> {
    let secrets = active_secrets(webhook, now_ms);
    let timestamp_s = now_ms.div_euclid(1000);
    let standard: Vec<String> = secrets
        .iter()
        .map(|secret| standard_signature(secret, delivery_id, timestamp_s, body))
        .collect();
    let mut headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        ("X-Skopio-Event".to_string(), event.to_string()),
        (
            "X-Skopio-Signature".to_string(),
            skopio_signature(secrets[0], body),
        ),
        ("X-Skopio-Delivery".to_string(), delivery_id.to_string()),
        ("X-Skopio-Timestamp".to_string(), now_ms.to_string()),
        ("webhook-id".to_string(), delivery_id.to_string()),
        ("webhook-timestamp".to_string(), timestamp_s.to_string()),
        ("webhook-signature".to_string(), standard.join(" ")),
    ];
    if let Some(previous) = secrets.get(1) {
        headers.push((
            "X-Skopio-Signature-Previous".to_string(),
            skopio_signature(previous, body),
        ));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_whsec_and_32_bytes_of_base64() {
        let secret = new_secret();
        let decoded = STANDARD.decode(&secret[SECRET_PREFIX.len()..]).unwrap();
        assert_eq!(decoded.len(), 32);
        assert_ne!(secret, new_secret());
    }

    /// Values from the Standard Webhooks specification's own example.
    #[test]
    fn the_standard_signature_matches_the_specifications_example() {
        let signature = standard_signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn the_skopio_signature_is_hex_hmac_keyed_with_the_secret_string() {
        // HMAC-SHA256 test case 2 of RFC 4231 (key "Jefe").
        assert_eq!(
            skopio_signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
