//! Identifiers and secrets minted by Skopio: scan ids (`req-<base36 ms>-<random>`), bulk
//! and delivery ids, API keys (`skopio_live_` + base62 from the OS CSPRNG) and key ids.
//! Random parts carry at least 64 bits, so ids cannot be guessed and never collide in
//! practice.

use ring::rand::{SecureRandom, SystemRandom};

const BASE36: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Number of base62 characters after `skopio_live_`: 43 × log2(62) ≈ 256 bits.
const KEY_CHARS: usize = 43;
pub const KEY_PREFIX: &str = "skopio_live_";

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The OS generator failing is not something a caller can recover from or work around:
    // minting a predictable secret instead would be worse than stopping.
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the operating system's CSPRNG failed");
    bytes
}

fn base36(mut n: u64, min_width: usize) -> String {
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(BASE36[(n % 36) as usize]);
        n /= 36;
    }
    while digits.len() < min_width {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

/// Uniform base62 characters by rejection sampling (bytes ≥ 248 are redrawn, so no
/// character is more likely than another).
fn base62(n_chars: usize) -> String {
    let mut out = String::with_capacity(n_chars);
    while out.len() < n_chars {
        for byte in random_bytes::<64>() {
            if byte < 248 && out.len() < n_chars {
                out.push(BASE62[(byte % 62) as usize] as char);
            }
        }
    }
    out
}

/// `req-<creation ms in base36, 9 wide>-<64 random bits in base36, 13 wide>`. Fixed widths
/// keep ids sorting by creation time as plain strings (9 base36 digits last until 5188).
pub fn scan_id(now_ms: i64) -> String {
    let random = u64::from_le_bytes(random_bytes::<8>());
    format!(
        "req-{}-{}",
        base36(now_ms.max(0) as u64, 9),
        base36(random, 13)
    )
}

/// `bulk_<creation ms><random>` (9 and 13 base36 digits), sortable like scan ids.
pub fn bulk_id(now_ms: i64) -> String {
    let random = u64::from_le_bytes(random_bytes::<8>());
    format!(
        "bulk_{}{}",
        base36(now_ms.max(0) as u64, 9),
        base36(random, 13)
    )
}

/// `dlv_<creation ms><random>`: a webhook delivery's id, the same on every attempt
/// (`X-Skopio-Delivery` and `webhook-id`), sortable like scan ids.
pub fn delivery_id(now_ms: i64) -> String {
    let random = u64::from_le_bytes(random_bytes::<8>());
    format!(
        "dlv_{}{}",
        base36(now_ms.max(0) as u64, 9),
        base36(random, 13)
    )
}

/// A request id for `X-Request-Id`: creation time then 64 random bits, like a scan id.
pub fn request_id(now_ms: i64) -> String {
    let random = u64::from_le_bytes(random_bytes::<8>());
    format!("{}{}", base36(now_ms.max(0) as u64, 9), base36(random, 13))
}

pub fn api_key() -> String {
    format!("{KEY_PREFIX}{}", base62(KEY_CHARS))
}

/// Key ids are public handles for operators (`keys revoke key_…`); they reveal nothing
/// about the key itself.
pub fn key_id() -> String {
    format!("key_{}", base62(16))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_ids_sort_by_creation_time() {
        let earlier = scan_id(1_700_000_000_000);
        let later = scan_id(1_700_000_000_001);
        assert!(earlier < later);
        assert!(earlier.starts_with("req-"));
        assert_eq!(earlier.len(), 4 + 9 + 1 + 13);
    }

    #[test]
    fn keys_have_the_documented_shape() {
        let key = api_key();
        assert!(key.starts_with("skopio_live_"));
        assert_eq!(key.len(), KEY_PREFIX.len() + KEY_CHARS);
        assert!(
            key[KEY_PREFIX.len()..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric())
        );
        assert_ne!(key, api_key());
    }
}
