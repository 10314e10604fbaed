//! Configuration: every setting of SPEC section 9 with its built-in default, read from an
//! optional TOML file and overridden by command-line flags. Unknown keys are refused so a
//! typo in `skopio.toml` is an error at start, not a setting silently ignored.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub engine: EngineConfig,
    pub summary: SummaryConfig,
    pub webhooks: WebhooksConfig,
    /// Tiers by name. The file's tiers are merged over the three standard ones, so an
    /// operator can change `pro` alone or add a custom tier without restating the rest.
    #[serde(deserialize_with = "tiers_over_defaults")]
    pub tiers: BTreeMap<String, Tier>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Prefix of `poll_url` and of every other URL the API returns; when unset, the
    /// address the server actually listens on (`http://127.0.0.1:8080`).
    pub public_base_url: Option<String>,
    pub max_body_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    pub data_dir: PathBuf,
    pub retention_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    pub workers: usize,
    pub queue_capacity: usize,
    pub network: bool,
    pub pivot_depth: u32,
    /// How long one recipe may run before it is reported as failed with a timeout.
    #[serde(deserialize_with = "duration")]
    pub recipe_timeout: Duration,
    /// How long shutdown waits for running scans; those still running then are left
    /// pending in the store and run again after the next start.
    #[serde(deserialize_with = "duration")]
    pub shutdown_grace: Duration,
    pub http: HttpConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    pub concurrency: usize,
    pub proxy: String,
    pub ca_file: String,
    pub user_agent: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SummaryConfig {
    pub endpoint: String,
    pub model: String,
    pub api_key_env: String,
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    #[serde(deserialize_with = "durations")]
    pub retry_schedule: Vec<Duration>,
    pub allow_networks: Vec<String>,
    /// After `skopio webhook rotate` (or a new `webhook set`), how long deliveries are
    /// signed with the previous secret too, so a receiver can switch at its own pace.
    #[serde(deserialize_with = "duration")]
    pub rotation_grace: Duration,
}

/// A tier's throughput limits. Tiers never change the price of a scan (one credit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub day: u32,
    pub hour: u32,
    pub inflight: u32,
    pub bulk: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_base_url: None,
            max_body_bytes: 64 * 1024,
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            data_dir: PathBuf::from("./skopio-data"),
            retention_days: 90,
        }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            workers: 4,
            queue_capacity: 10_000,
            network: true,
            pivot_depth: 1,
            recipe_timeout: Duration::from_secs(120),
            shutdown_grace: Duration::from_secs(20),
            http: HttpConfig::default(),
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            timeout: Duration::from_secs(10),
            concurrency: 64,
            proxy: String::new(),
            ca_file: String::new(),
            user_agent: "Mozilla/5.0 (compatible; Skopio/1)".to_string(),
        }
    }
}

impl Default for SummaryConfig {
    fn default() -> Self {
        SummaryConfig {
            endpoint: String::new(),
            model: String::new(),
            api_key_env: String::new(),
            timeout: Duration::from_secs(20),
        }
    }
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig {
            timeout: Duration::from_secs(10),
            retry_schedule: vec![
                Duration::ZERO,
                Duration::from_secs(30),
                Duration::from_secs(300),
            ],
            allow_networks: Vec::new(),
            rotation_grace: Duration::from_secs(24 * 3600),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            server: ServerConfig::default(),
            storage: StorageConfig::default(),
            engine: EngineConfig::default(),
            summary: SummaryConfig::default(),
            webhooks: WebhooksConfig::default(),
            tiers: standard_tiers(),
        }
    }
}

/// The tiers of SPEC section 3.
pub fn standard_tiers() -> BTreeMap<String, Tier> {
    BTreeMap::from([
        (
            "pro".to_string(),
            Tier {
                day: 100,
                hour: 20,
                inflight: 3,
                bulk: false,
            },
        ),
        (
            "business".to_string(),
            Tier {
                day: 1_000,
                hour: 100,
                inflight: 10,
                bulk: true,
            },
        ),
        (
            "enterprise".to_string(),
            Tier {
                day: 10_000,
                hour: 500,
                inflight: 25,
                bulk: true,
            },
        ),
    ])
}

#[derive(Debug)]
pub enum ConfigError {
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    Parse {
        path: PathBuf,
        message: String,
    },
    Invalid(String),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Read { path, source } => {
                write!(f, "cannot read config file {}: {source}", path.display())
            }
            ConfigError::Parse { path, message } => {
                write!(f, "config file {} is not valid: {message}", path.display())
            }
            ConfigError::Invalid(message) => write!(f, "invalid configuration: {message}"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads `path` if given, else the built-in defaults, then checks the values.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let config = match path {
            None => Config::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                Config::parse(&text).map_err(|message| ConfigError::Parse {
                    path: path.to_path_buf(),
                    message,
                })?
            }
        };
        config.validate()?;
        Ok(config)
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: &str| Err(ConfigError::Invalid(m.to_string()));
        if self.engine.workers == 0 {
            return invalid("engine.workers must be at least 1");
        }
        if self.engine.queue_capacity == 0 {
            return invalid("engine.queue_capacity must be at least 1");
        }
        if self.engine.http.concurrency == 0 {
            return invalid("engine.http.concurrency must be at least 1");
        }
        if self.server.max_body_bytes < 1024 {
            return invalid("server.max_body_bytes must be at least 1024");
        }
        if let Some(base) = &self.server.public_base_url {
            if !(base.starts_with("http://") || base.starts_with("https://")) {
                return invalid("server.public_base_url must start with http:// or https://");
            }
        }
        if self.engine.recipe_timeout < Duration::from_millis(100) {
            return invalid("engine.recipe_timeout must be at least 100ms");
        }
        let proxy = &self.engine.http.proxy;
        if !(proxy.is_empty() || proxy.starts_with("http://") || proxy.starts_with("socks5://")) {
            return invalid(
                "engine.http.proxy must be empty, http://host:port or socks5://host:port",
            );
        }
        let ca_file = &self.engine.http.ca_file;
        if !ca_file.is_empty() && !Path::new(ca_file).is_file() {
            return Err(ConfigError::Invalid(format!(
                "engine.http.ca_file {ca_file:?} is not a readable file"
            )));
        }
        if self.webhooks.timeout < Duration::from_millis(100) {
            return invalid("webhooks.timeout must be at least 100ms");
        }
        if self.webhooks.retry_schedule.len() > 10 {
            return invalid("webhooks.retry_schedule may list at most 10 retries");
        }
        for network in &self.webhooks.allow_networks {
            if crate::netguard::Cidr::parse(network).is_none() {
                return Err(ConfigError::Invalid(format!(
                    "webhooks.allow_networks entry {network:?} is not a CIDR such as 10.0.0.0/8"
                )));
            }
        }
        for (name, tier) in &self.tiers {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return invalid("tier names are letters, digits and '_'");
            }
            if tier.inflight == 0 {
                return Err(ConfigError::Invalid(format!("tiers.{name}.inflight is 0")));
            }
        }
        Ok(())
    }

    /// `public_base_url` without a trailing slash, ready to have a path appended.
    pub fn base_url(&self) -> String {
        match &self.server.public_base_url {
            Some(base) => base.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.server.listen),
        }
    }
}

fn tiers_over_defaults<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, Tier>, D::Error> {
    let given = BTreeMap::<String, Tier>::deserialize(deserializer)?;
    let mut tiers = standard_tiers();
    tiers.extend(given);
    Ok(tiers)
}

fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    humantime::parse_duration(&text).map_err(serde::de::Error::custom)
}

fn durations<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Duration>, D::Error> {
    let texts = Vec::<String>::deserialize(deserializer)?;
    texts
        .iter()
        .map(|text| humantime::parse_duration(text).map_err(serde::de::Error::custom))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_the_built_in_defaults() {
        let config = Config::parse("").unwrap();
        assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.engine.http.timeout, Duration::from_secs(10));
        assert_eq!(config.tiers["business"].inflight, 10);
    }

    #[test]
    fn a_custom_tier_is_added_beside_the_standard_ones() {
        let config = Config::parse("[tiers.bulkonly]\nday=5\nhour=5\ninflight=1\nbulk=true\n");
        let config = config.unwrap();
        assert_eq!(config.tiers.len(), 4);
        assert_eq!(config.tiers["bulkonly"].day, 5);
    }

    #[test]
    fn a_misspelt_setting_is_refused() {
        let err = Config::parse("[engine]\nworkerz = 3\n").unwrap_err();
        assert!(err.contains("workerz"), "{err}");
    }

    #[test]
    fn impossible_settings_are_refused_at_start() {
        for bad in [
            "[engine]\nrecipe_timeout = \"0s\"\n",
            "[engine.http]\nproxy = \"ftp://x\"\n",
            "[engine.http]\nca_file = \"/nonexistent/ca.pem\"\n",
            "[webhooks]\nallow_networks = [\"10.0.0.0/99\"]\n",
            "[server]\npublic_base_url = \"ftp://x\"\n",
        ] {
            assert!(Config::parse(bad).unwrap().validate().is_err(), "{bad}");
        }
        let good = "[webhooks]\nallow_networks = [\"10.0.0.0/8\", \"fd00::/8\"]\n";
        assert!(Config::parse(good).unwrap().validate().is_ok());
    }

    #[test]
    fn without_a_public_base_url_urls_follow_the_listen_address() {
        let config = Config::parse("[server]\nlisten = \"127.0.0.1:9090\"\n").unwrap();
        assert_eq!(config.base_url(), "http://127.0.0.1:9090");
        let config = Config::parse("[server]\npublic_base_url = \"https://osint.example/\"\n");
        assert_eq!(config.unwrap().base_url(), "https://osint.example");
    }

    #[test]
    fn durations_are_human_readable() {
        let config = Config::parse("[webhooks]\nretry_schedule = [\"0s\", \"1m\"]\n").unwrap();
        assert_eq!(
            config.webhooks.retry_schedule,
            vec![Duration::ZERO, Duration::from_secs(60)]
        );
    }
}

#[cfg(test)]
mod example_file {
    use super::*;

    /// The documented example at the repository root must parse to exactly the defaults,
    /// so it cannot drift from what `skopio serve` does without a file.
    #[test]
    fn skopio_toml_documents_the_built_in_defaults() {
        let text = include_str!("../skopio.toml");
        let parsed = Config::parse(text).unwrap();
        let defaults = Config::default();
        assert_eq!(format!("{parsed:?}"), format!("{defaults:?}"));
    }
}
