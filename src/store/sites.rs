//! The site-presence tables: imported site lists and each site's recent outcomes. Reading
//! the list formats and judging answers live in `crate::sites`; this file only stores and
//! finds what it is given.
//!
//! Layout:
//! - `site_lists`: source (`whatsmyname`, `sherlock`) → `SiteList`, the whole list of one
//!   import. An import of the same source replaces the record in one write, so a scan
//!   never sees half of an old list and half of a new one.
//! - `site_health`: site name → `SiteHealth`, the outcome codes of the site's most recent
//!   checks, oldest first.

use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use super::{ReadTx, StoreError, WriteTx, records};
use crate::sites::Site;

const SITE_LISTS: TableDefinition<&str, &[u8]> = TableDefinition::new("site_lists");
const SITE_HEALTH: TableDefinition<&str, &[u8]> = TableDefinition::new("site_health");

/// One imported list, as it was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteList {
    pub source: String,
    /// The file it came from, as the operator named it.
    pub file: String,
    pub imported_ms: i64,
    pub sites: Vec<Site>,
    /// Entries of the file that could not be used, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// A site's most recent outcomes as one-byte codes (`crate::sites::health` owns them).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SiteHealth {
    pub recent: Vec<u8>,
}

pub(super) fn create_tables(tx: &WriteTx) -> Result<(), StoreError> {
    tx.txn.open_table(SITE_LISTS)?;
    tx.txn.open_table(SITE_HEALTH)?;
    Ok(())
}

macro_rules! site_reads {
    ($tx:ty) => {
        impl $tx {
            /// Every imported list, by source.
            pub fn site_lists(&self) -> Result<Vec<SiteList>, StoreError> {
                let table = self.txn.open_table(SITE_LISTS)?;
                let mut out = Vec::new();
                for row in table.iter()? {
                    let (_, v) = row?;
                    out.push(records::decode("site list", v.value())?);
                }
                Ok(out)
            }

            /// Every site's recent outcomes, by site name.
            pub fn site_health(&self) -> Result<Vec<(String, SiteHealth)>, StoreError> {
                let table = self.txn.open_table(SITE_HEALTH)?;
                let mut out = Vec::new();
                for row in table.iter()? {
                    let (k, v) = row?;
                    let health = records::decode("site health", v.value())?;
                    out.push((k.value().to_string(), health));
                }
                Ok(out)
            }
        }
    };
}

site_reads!(ReadTx);
site_reads!(WriteTx);

impl WriteTx {
    /// Stores `list`, replacing any earlier list of the same source.
    pub fn put_site_list(&mut self, list: &SiteList) -> Result<(), StoreError> {
        let bytes = records::encode(list)?;
        let mut table = self.txn.open_table(SITE_LISTS)?;
        table.insert(list.source.as_str(), bytes.as_slice())?;
        Ok(())
    }

    /// Removes the list of `source`; true when there was one.
    pub fn delete_site_list(&mut self, source: &str) -> Result<bool, StoreError> {
        let mut table = self.txn.open_table(SITE_LISTS)?;
        Ok(table.remove(source)?.is_some())
    }

    pub fn put_site_health(&mut self, site: &str, health: &SiteHealth) -> Result<(), StoreError> {
        let bytes = records::encode(health)?;
        let mut table = self.txn.open_table(SITE_HEALTH)?;
        table.insert(site, bytes.as_slice())?;
        Ok(())
    }
}
