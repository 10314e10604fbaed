//! Customers, API keys, credits and webhooks as the operator manages them (SPEC section
//! 2; the webhook operations themselves live in `webhooks`). Each operation is a request
//! value applied inside a write transaction; the same `apply` runs whether the command
//! reached the running server over its admin socket or opened the database itself
//! because no server runs, so both paths behave identically.

use ring::digest::{SHA256, digest};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::billing;
use crate::clock::rfc3339;
use crate::config::Config;
use crate::ids;
use crate::store::{ApiKey, Customer, LedgerEntry, LedgerKind, StoreError, WriteTx};
use crate::webhooks;

/// One operator request. Serialized as JSON over the admin socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    KeysCreate {
        customer: String,
        tier: Option<String>,
        credits: Option<i64>,
    },
    KeysList {
        customer: Option<String>,
    },
    KeysRevoke {
        key_id: String,
    },
    CustomersList,
    CustomersShow {
        name: String,
    },
    CustomersSetTier {
        name: String,
        tier: String,
    },
    CreditsAdd {
        name: String,
        amount: i64,
    },
    WebhookSet {
        key_id: String,
        url: String,
    },
    WebhookRotate {
        key_id: String,
    },
    WebhookClear {
        key_id: String,
    },
    DeliveriesList {
        key_id: String,
        limit: Option<usize>,
    },
    DeliveriesRedeliver {
        delivery_id: String,
    },
}

impl Request {
    /// The command's name, for logs (its arguments may name customers).
    pub fn name(&self) -> &'static str {
        match self {
            Request::KeysCreate { .. } => "keys create",
            Request::KeysList { .. } => "keys list",
            Request::KeysRevoke { .. } => "keys revoke",
            Request::CustomersList => "customers list",
            Request::CustomersShow { .. } => "customers show",
            Request::CustomersSetTier { .. } => "customers set-tier",
            Request::CreditsAdd { .. } => "credits add",
            Request::WebhookSet { .. } => "webhook set",
            Request::WebhookRotate { .. } => "webhook rotate",
            Request::WebhookClear { .. } => "webhook clear",
            Request::DeliveriesList { .. } => "deliveries list",
            Request::DeliveriesRedeliver { .. } => "deliveries redeliver",
        }
    }
}

#[derive(Debug)]
pub enum AccountError {
    UnknownCustomer(String),
    UnknownKey(String),
    UnknownTier(String),
    InvalidName(String),
    InvalidAmount(i64),
    BalanceTooLarge {
        balance: i64,
        amount: i64,
    },
    /// `keys create --tier` for an existing customer on another tier.
    TierDiffers {
        customer: String,
        tier: String,
    },
    KeyRevoked(String),
    NoWebhook(String),
    InvalidWebhookUrl(String),
    UnknownDelivery(String),
    Store(StoreError),
}

impl std::fmt::Display for AccountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccountError::UnknownCustomer(n) => write!(f, "no customer named {n:?}"),
            AccountError::UnknownKey(k) => write!(f, "no key with id {k:?}"),
            AccountError::UnknownTier(t) => {
                write!(
                    f,
                    "no tier named {t:?} (tiers are set in the config's [tiers] tables)"
                )
            }
            AccountError::InvalidName(n) => write!(
                f,
                "customer name {n:?} is not valid: use 1 to 64 letters, digits, '.', '_' or '-'"
            ),
            AccountError::InvalidAmount(a) => {
                write!(
                    f,
                    "credit amount {a} is not valid: give a whole number from 1 up"
                )
            }
            AccountError::BalanceTooLarge { balance, amount } => write!(
                f,
                "adding {amount} credits to a balance of {balance} would exceed the most a \
                 customer may hold ({MAX_BALANCE})"
            ),
            AccountError::TierDiffers { customer, tier } => write!(
                f,
                "customer {customer:?} already exists on tier {tier:?}; to change it, use \
                 `skopio customers set-tier`"
            ),
            AccountError::KeyRevoked(k) => write!(f, "key {k:?} is revoked"),
            AccountError::NoWebhook(k) => write!(
                f,
                "key {k:?} has no webhook; set one with `skopio webhook set {k} URL`"
            ),
            AccountError::InvalidWebhookUrl(m) => write!(f, "webhook URL refused: {m}"),
            AccountError::UnknownDelivery(d) => write!(f, "no delivery with id {d:?}"),
            AccountError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AccountError {}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        AccountError::Store(e)
    }
}

/// SHA-256 of a plaintext key, the only form in which keys are stored or looked up.
pub fn key_hash(key: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, key.as_bytes()).as_ref());
    out
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn check_tier(config: &Config, tier: &str) -> Result<(), AccountError> {
    match config.tiers.contains_key(tier) {
        true => Ok(()),
        false => Err(AccountError::UnknownTier(tier.to_string())),
    }
}

fn load_customer(tx: &WriteTx, name: &str) -> Result<Customer, AccountError> {
    tx.customer(name)?
        .ok_or_else(|| AccountError::UnknownCustomer(name.to_string()))
}

/// Applies one operator request and returns its JSON answer (the `--json` output).
pub fn apply(
    request: &Request,
    tx: &mut WriteTx,
    config: &Config,
    now_ms: i64,
) -> Result<Value, AccountError> {
    match request {
        Request::KeysCreate {
            customer,
            tier,
            credits,
        } => keys_create(tx, config, now_ms, customer, tier.as_deref(), *credits),
        Request::KeysList { customer } => {
            let keys = tx.keys()?;
            let keys = keys
                .iter()
                .filter(|k| customer.as_ref().is_none_or(|c| &k.customer == c));
            Ok(Value::Array(keys.map(key_json).collect()))
        }
        Request::KeysRevoke { key_id } => {
            let mut key = tx
                .key(key_id)?
                .ok_or_else(|| AccountError::UnknownKey(key_id.clone()))?;
            if key.revoked_ms.is_none() {
                key.revoked_ms = Some(now_ms);
                tx.put_key(&key)?;
            }
            Ok(key_json(&key))
        }
        Request::CustomersList => {
            let keys = tx.keys()?;
            let customers = tx.customers()?;
            let rows = customers.iter().map(|c| {
                let n_keys = keys.iter().filter(|k| k.customer == c.name).count();
                json!({"name": c.name, "tier": c.tier, "balance": c.balance,
                       "inflight": c.inflight, "keys": n_keys})
            });
            Ok(Value::Array(rows.collect()))
        }
        Request::CustomersShow { name } => customer_show(tx, config, now_ms, name),
        Request::CustomersSetTier { name, tier } => {
            check_tier(config, tier)?;
            let mut customer = load_customer(tx, name)?;
            customer.tier = tier.clone();
            tx.put_customer(&customer)?;
            Ok(json!({"name": customer.name, "tier": customer.tier}))
        }
        Request::CreditsAdd { name, amount } => {
            if *amount < 1 {
                return Err(AccountError::InvalidAmount(*amount));
            }
            let mut customer = load_customer(tx, name)?;
            let entry = top_up(tx, &mut customer, *amount, now_ms)?;
            tx.put_customer(&customer)?;
            Ok(json!({"name": customer.name, "balance": customer.balance,
                      "ledger_entry": ledger_json(&entry)}))
        }
        Request::WebhookSet { key_id, url } => webhooks::set(tx, config, now_ms, key_id, url),
        Request::WebhookRotate { key_id } => webhooks::rotate(tx, config, now_ms, key_id),
        Request::WebhookClear { key_id } => webhooks::clear(tx, key_id),
        Request::DeliveriesList { key_id, limit } => webhooks::list(tx, key_id, *limit),
        Request::DeliveriesRedeliver { delivery_id } => {
            webhooks::redeliver(tx, now_ms, delivery_id)
        }
    }
}

/// Most credits a customer may hold. Far above any real contract, and far below where the
/// signed arithmetic of balances could overflow.
pub const MAX_BALANCE: i64 = 1_000_000_000_000;

fn top_up(
    tx: &mut WriteTx,
    customer: &mut Customer,
    amount: i64,
    now_ms: i64,
) -> Result<LedgerEntry, AccountError> {
    let balance = customer
        .balance
        .checked_add(amount)
        .filter(|b| *b <= MAX_BALANCE);
    customer.balance = balance.ok_or(AccountError::BalanceTooLarge {
        balance: customer.balance,
        amount,
    })?;
    let entry = LedgerEntry {
        seq: 0,
        at_ms: now_ms,
        kind: LedgerKind::TopUp,
        amount,
        balance_after: customer.balance,
        scan_id: None,
        note: "operator top-up".to_string(),
    };
    Ok(tx.append_ledger(customer, entry)?)
}

fn keys_create(
    tx: &mut WriteTx,
    config: &Config,
    now_ms: i64,
    name: &str,
    tier: Option<&str>,
    credits: Option<i64>,
) -> Result<Value, AccountError> {
    if !valid_name(name) {
        return Err(AccountError::InvalidName(name.to_string()));
    }
    if let Some(tier) = tier {
        check_tier(config, tier)?;
    }
    if let Some(amount) = credits {
        if amount < 0 {
            return Err(AccountError::InvalidAmount(amount));
        }
    }
    let mut customer = match tx.customer(name)? {
        Some(existing) => existing,
        None => Customer {
            name: name.to_string(),
            tier: tier.unwrap_or("pro").to_string(),
            balance: 0,
            created_ms: now_ms,
            inflight: 0,
            hour_start: 0,
            hour_used: 0,
            day_start: 0,
            day_used: 0,
            next_ledger_seq: 0,
        },
    };
    // A new customer got `tier` above; for an existing one, minting a key must not quietly
    // change what the customer's contract allows.
    if tier.is_some_and(|t| t != customer.tier) {
        return Err(AccountError::TierDiffers {
            customer: customer.name.clone(),
            tier: customer.tier.clone(),
        });
    }
    if let Some(amount) = credits.filter(|a| *a > 0) {
        top_up(tx, &mut customer, amount, now_ms)?;
    }
    let plaintext = ids::api_key();
    let key = ApiKey {
        key_id: ids::key_id(),
        customer: customer.name.clone(),
        hash: key_hash(&plaintext),
        hint: plaintext[..ids::KEY_PREFIX.len() + 4].to_string(),
        created_ms: now_ms,
        revoked_ms: None,
    };
    tx.put_key(&key)?;
    tx.put_customer(&customer)?;
    Ok(json!({
        "key": plaintext,
        "key_id": key.key_id,
        "customer": customer.name,
        "tier": customer.tier,
        "balance": customer.balance,
    }))
}

fn customer_show(
    tx: &WriteTx,
    config: &Config,
    now_ms: i64,
    name: &str,
) -> Result<Value, AccountError> {
    let customer = load_customer(tx, name)?;
    let keys: Vec<Value> = tx
        .keys()?
        .iter()
        .filter(|k| k.customer == customer.name)
        .map(key_json)
        .collect();
    let ledger: Vec<Value> = tx.ledger(&customer.name)?.iter().map(ledger_json).collect();
    let quota = config
        .tiers
        .get(&customer.tier)
        .map(|tier| quota_json(&billing::state(&customer, tier, now_ms)));
    Ok(json!({
        "name": customer.name,
        "tier": customer.tier,
        "balance": customer.balance,
        "created_at": rfc3339(customer.created_ms),
        "quota": quota,
        "keys": keys,
        "ledger": ledger,
    }))
}

/// The quota use of each window, as `/api/v1/account` and `customers show` print it.
pub fn quota_json(state: &billing::QuotaState) -> Value {
    json!({
        "hour": {"limit": state.tier.hour, "used": state.hour_used,
                 "remaining": state.tier.hour.saturating_sub(state.hour_used),
                 "resets_in_seconds": state.hour_reset},
        "day": {"limit": state.tier.day, "used": state.day_used,
                "remaining": state.tier.day.saturating_sub(state.day_used),
                "resets_in_seconds": state.day_reset},
        "inflight": {"limit": state.tier.inflight, "used": state.inflight},
    })
}

fn key_json(key: &ApiKey) -> Value {
    json!({
        "key_id": key.key_id,
        "customer": key.customer,
        "hint": format!("{}…", key.hint),
        "created_at": rfc3339(key.created_ms),
        "revoked_at": key.revoked_ms.map(rfc3339),
    })
}

fn ledger_json(entry: &LedgerEntry) -> Value {
    json!({
        "seq": entry.seq,
        "at": rfc3339(entry.at_ms),
        "kind": entry.kind.as_str(),
        "amount": entry.amount,
        "balance_after": entry.balance_after,
        "scan_id": entry.scan_id,
        "note": entry.note,
    })
}
