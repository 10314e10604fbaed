//! How identifiers become the 8-byte hashes the breach index stores: the same
//! normalisers the recipes use (`email::normal_form`, `phone::e164`,
//! `username::normalise`), then HMAC-SHA256 under a secret that lives in its own file in
//! the data directory, not in the database. A copied database file alone therefore holds
//! nothing that can be tested against guessed addresses; whoever also has `breach.key`
//! can, which is why the file is created with mode 0600 and why it should be left out of
//! copies that leave the appliance (a backup needs it, or the index must be re-imported).
//!
//! False positives: a stored hash keeps 64 of HMAC's 256 bits. With N identifiers in the
//! index, an identifier that is in no breach matches one by chance with probability about
//! N / 2^64: 5 × 10^-13 for ten million identifiers, so about one wrong report in two
//! trillion lookups. A duplicate that collides is counted as a duplicate (equally rare).

use std::io::Write;
use std::path::{Path, PathBuf};

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use crate::target::Kind;

/// The secret's file in the data directory.
pub const KEY_FILE: &str = "breach.key";
/// Bytes of secret (HMAC-SHA256's block-sized keys need no more).
const KEY_BYTES: usize = 32;
/// What `check` signs: a fixed label, so that the database can tell a wrong key file.
const CHECK_LABEL: &[u8] = b"skopio breach index key check v1";

/// The keyed hash of identifiers. Cheap to clone.
#[derive(Clone)]
pub struct IdentifierKey {
    key: hmac::Key,
}

#[derive(Debug)]
pub enum KeyError {
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file exists but does not hold a key.
    Malformed(PathBuf),
    Random,
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyError::Io { path, source } => {
                write!(
                    f,
                    "cannot read or write the breach key {}: {source}",
                    path.display()
                )
            }
            KeyError::Malformed(path) => write!(
                f,
                "{} does not hold a breach key ({KEY_BYTES} bytes expected)",
                path.display()
            ),
            KeyError::Random => write!(f, "the system's random number generator failed"),
        }
    }
}

impl IdentifierKey {
    /// Reads the data directory's key, or creates one if there is none yet.
    pub fn load_or_create(data_dir: &Path) -> Result<IdentifierKey, KeyError> {
        if let Some(key) = IdentifierKey::load(data_dir)? {
            return Ok(key);
        }
        let mut secret = [0u8; KEY_BYTES];
        SystemRandom::new()
            .fill(&mut secret)
            .map_err(|_| KeyError::Random)?;
        let path = data_dir.join(KEY_FILE);
        let io = |source| KeyError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(io)?;
        // Written beside, then renamed into place, so a crash never leaves half a key.
        let partial = data_dir.join(format!("{KEY_FILE}.new"));
        {
            use std::os::unix::fs::OpenOptionsExt;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&partial)
                .map_err(io)?;
            file.write_all(&secret).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        std::fs::rename(&partial, &path).map_err(io)?;
        Ok(IdentifierKey::from_secret(&secret))
    }

    /// Reads the data directory's key; `None` when there is none.
    pub fn load(data_dir: &Path) -> Result<Option<IdentifierKey>, KeyError> {
        let path = data_dir.join(KEY_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(KeyError::Io { path, source }),
        };
        match bytes.len() {
            KEY_BYTES => Ok(Some(IdentifierKey::from_secret(&bytes))),
            _ => Err(KeyError::Malformed(path)),
        }
    }

    pub fn from_secret(secret: &[u8]) -> IdentifierKey {
        IdentifierKey {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    /// The index key of an identifier already in normal form. The kind is hashed too,
    /// so a username never meets a phone number written with the same characters.
    pub fn hash(&self, kind: Kind, normal: &str) -> u64 {
        let mut context = hmac::Context::with_key(&self.key);
        context.update(&[kind_tag(kind), 0]);
        context.update(normal.as_bytes());
        let tag = context.sign();
        let mut first = [0u8; 8];
        first.copy_from_slice(&tag.as_ref()[..8]);
        u64::from_be_bytes(first)
    }

    /// A fingerprint of the key, kept in the database so that a replaced or lost key file
    /// is noticed instead of silently matching nothing.
    pub fn check(&self) -> [u8; 8] {
        let tag = hmac::sign(&self.key, CHECK_LABEL);
        let mut out = [0u8; 8];
        out.copy_from_slice(&tag.as_ref()[..8]);
        out
    }
}

fn kind_tag(kind: Kind) -> u8 {
    match kind {
        Kind::Email => b'e',
        Kind::Phone => b'p',
        Kind::Username => b'u',
    }
}

/// Puts an identifier of `kind` in the normal form the index stores, with the analysers
/// the recipes use: email local part and domain in lower case with the domain in ASCII
/// (IDN) form, phone numbers in E.164, usernames in lower case without a leading `@`.
/// The error is the analyser's sentence.
pub fn normalise(kind: Kind, raw: &str) -> Result<String, String> {
    match kind {
        Kind::Email => crate::email::normal_form(raw).map_err(|e| e.to_string()),
        Kind::Phone => crate::phone::e164(raw).map_err(|e| e.to_string()),
        Kind::Username => crate::username::normalise(raw).map_err(|e| e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_written_three_ways_is_one_identifier() {
        let forms = [
            "John.Doe@Example.COM",
            "john.doe@example.com",
            " john.doe@EXAMPLE.com ",
        ];
        let normal: Vec<String> = forms
            .iter()
            .map(|f| normalise(Kind::Email, f).unwrap())
            .collect();
        assert!(
            normal.iter().all(|n| n == "john.doe@example.com"),
            "{normal:?}"
        );
    }

    #[test]
    fn idn_domains_meet_in_either_spelling_and_tags_are_kept() {
        let unicode = normalise(Kind::Email, "Ivan@Пример.рф").unwrap();
        let ascii = normalise(Kind::Email, "ivan@xn--e1afmkfd.xn--p1ai").unwrap();
        assert_eq!(unicode, ascii);
        let tagged = normalise(Kind::Email, "john.doe+news@gmail.com").unwrap();
        assert_eq!(tagged, "john.doe+news@gmail.com");
    }

    #[test]
    fn the_fast_normal_form_agrees_with_the_full_analysis() {
        for address in ["A.B@Sub.Example.co.uk", "x@xn--bcher-kva.de", "Z_9@a-b.io"] {
            let analysis = crate::email::analyse(address).unwrap();
            let expected = format!(
                "{}@{}",
                analysis.local.to_ascii_lowercase(),
                analysis.domain_ascii
            );
            assert_eq!(normalise(Kind::Email, address).unwrap(), expected);
        }
    }

    #[test]
    fn phones_and_usernames_take_the_recipes_forms() {
        assert_eq!(
            normalise(Kind::Phone, "+44 20 7946 0000").unwrap(),
            "+442079460000"
        );
        assert_eq!(
            normalise(Kind::Phone, "0044 (20) 7946-0000").unwrap(),
            "+442079460000"
        );
        assert_eq!(normalise(Kind::Username, "@JohnDoe").unwrap(), "johndoe");
        assert!(normalise(Kind::Email, "not an address").is_err());
    }

    #[test]
    fn hashes_depend_on_the_key_and_the_kind() {
        let one = IdentifierKey::from_secret(&[1; 32]);
        let two = IdentifierKey::from_secret(&[2; 32]);
        assert_ne!(
            one.hash(Kind::Username, "abc"),
            two.hash(Kind::Username, "abc")
        );
        assert_ne!(
            one.hash(Kind::Username, "123"),
            one.hash(Kind::Phone, "123")
        );
        assert_eq!(
            one.hash(Kind::Email, "a@b.io"),
            one.hash(Kind::Email, "a@b.io")
        );
    }
}
