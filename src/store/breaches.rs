//! The breach index's tables: the catalog of breaches and the set of (identifier hash,
//! breach) pairs. The hashing, normalisation and file reading live in `crate::breaches`;
//! this file only stores and finds what it is given.
//!
//! Layout:
//! - `breaches`: breach number → `BreachRecord` (catalog metadata and identifier count).
//! - `breach_names`: breach name → breach number.
//! - `breach_index`: (breach number, identifier hash) → (). Both halves are fixed-width
//!   (2 + 8 bytes) and the value is empty, so redb stores each entry as 10 packed bytes
//!   with no per-entry offsets. The breach comes first so that importing a breach fills
//!   its own key range: a new breach's sorted chunk is an append, where hash-first keys
//!   made every chunk touch every page of the whole index (imports slowed from 1 µs to
//!   4 µs an identifier as it grew). The price is one point read per breach per lookup
//!   (about 1 µs each), and removing a breach is a range delete.
//!
//! Invariant: a record's `identifiers` is bumped in the same transaction that inserts its
//! new pairs, by the number of pairs that were not there yet, so an interrupted import run
//! again never counts anything twice.

use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use super::{ReadTx, StoreError, WriteTx, records};

pub(super) const BREACHES: TableDefinition<u16, &[u8]> = TableDefinition::new("breaches");
pub(super) const BREACH_NAMES: TableDefinition<&str, u16> = TableDefinition::new("breach_names");
pub(super) const BREACH_INDEX: TableDefinition<(u16, u64), ()> =
    TableDefinition::new("breach_index");

/// Meta entry holding the next breach number to give. Numbers are never reused, so pairs
/// left behind by an interrupted removal can never be taken for another breach's.
const NEXT_NUMBER: &str = "breach.next_number";

/// One breach as the catalog describes it, plus what the index holds of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreachRecord {
    pub number: u16,
    pub name: String,
    pub title: String,
    pub domain: String,
    /// `YYYY-MM-DD` as the catalog gives it (may be empty).
    pub breach_date: String,
    pub added_date: String,
    pub pwn_count: u64,
    pub classes: Vec<String>,
    pub verified: bool,
    pub fabricated: bool,
    pub sensitive: bool,
    pub spam_list: bool,
    pub retired: bool,
    pub malware: bool,
    pub stealer_log: bool,
    /// Distinct identifiers of this breach in the index.
    pub identifiers: u64,
    /// Being removed: invisible to lookups and listings until the removal ends.
    pub removing: bool,
}

pub(super) fn create_tables(tx: &WriteTx) -> Result<(), StoreError> {
    tx.txn.open_table(BREACHES)?;
    tx.txn.open_table(BREACH_NAMES)?;
    tx.txn.open_table(BREACH_INDEX)?;
    Ok(())
}

macro_rules! breach_reads {
    ($tx:ty) => {
        impl $tx {
            pub fn breach(&self, number: u16) -> Result<Option<BreachRecord>, StoreError> {
                let table = self.txn.open_table(BREACHES)?;
                let value = table.get(number)?;
                value
                    .map(|v| records::decode("breach", v.value()))
                    .transpose()
            }

            pub fn breach_by_name(&self, name: &str) -> Result<Option<BreachRecord>, StoreError> {
                let number = {
                    let names = self.txn.open_table(BREACH_NAMES)?;
                    match names.get(name)? {
                        Some(v) => v.value(),
                        None => return Ok(None),
                    }
                };
                self.breach(number)
            }

            /// Every breach record, removals in progress included, by number.
            pub fn breach_records(&self) -> Result<Vec<BreachRecord>, StoreError> {
                let table = self.txn.open_table(BREACHES)?;
                let mut out = Vec::new();
                for row in table.iter()? {
                    let (_, v) = row?;
                    out.push(records::decode("breach", v.value())?);
                }
                Ok(out)
            }

            /// Those of breaches `numbers` whose identifiers include one with this hash.
            pub fn breach_numbers_holding(
                &self,
                numbers: &[u16],
                hash: u64,
            ) -> Result<Vec<u16>, StoreError> {
                let table = self.txn.open_table(BREACH_INDEX)?;
                let mut out = Vec::new();
                for &number in numbers {
                    if table.get((number, hash))?.is_some() {
                        out.push(number);
                    }
                }
                Ok(out)
            }
        }
    };
}

breach_reads!(ReadTx);
breach_reads!(WriteTx);

impl WriteTx {
    /// Gives out the next breach number.
    pub fn new_breach_number(&mut self) -> Result<u16, StoreError> {
        let next = match self.meta(NEXT_NUMBER)? {
            Some(bytes) => {
                let array: [u8; 2] =
                    bytes
                        .as_slice()
                        .try_into()
                        .map_err(|_| StoreError::Decode {
                            what: "breach number counter",
                            message: format!("{} bytes instead of 2", bytes.len()),
                        })?;
                u16::from_le_bytes(array)
            }
            None => 1,
        };
        let after = next
            .checked_add(1)
            .ok_or_else(|| StoreError::Aborted("every breach number is used".to_string()))?;
        self.put_meta(NEXT_NUMBER, &after.to_le_bytes())?;
        Ok(next)
    }

    /// Stores a breach record (new or updated) and its name.
    pub fn put_breach(&mut self, record: &BreachRecord) -> Result<(), StoreError> {
        let bytes = records::encode(record)?;
        self.txn
            .open_table(BREACHES)?
            .insert(record.number, bytes.as_slice())?;
        self.txn
            .open_table(BREACH_NAMES)?
            .insert(record.name.as_str(), record.number)?;
        Ok(())
    }

    /// Forgets a breach record and its name (its pairs are purged beforehand).
    pub fn delete_breach(&mut self, record: &BreachRecord) -> Result<(), StoreError> {
        self.txn.open_table(BREACHES)?.remove(record.number)?;
        self.txn
            .open_table(BREACH_NAMES)?
            .remove(record.name.as_str())?;
        Ok(())
    }

    /// Inserts (`number`, hash) for every hash and adds the new ones to the breach's
    /// count; returns how many were new. `hashes` should be sorted, so that the inserts
    /// walk the tree in order and each page is copied once per transaction.
    pub fn insert_breach_hashes(&mut self, number: u16, hashes: &[u64]) -> Result<u64, StoreError> {
        let mut record = self
            .breach(number)?
            .ok_or_else(|| StoreError::Aborted(format!("breach number {number} is gone")))?;
        let mut new = 0u64;
        {
            let mut table = self.txn.open_table(BREACH_INDEX)?;
            for &hash in hashes {
                if table.insert((number, hash), ())?.is_none() {
                    new += 1;
                }
            }
        }
        record.identifiers += new;
        self.put_breach(&record)?;
        Ok(new)
    }

    /// Removes the pairs of breach `number` whose hash lies in `first..=last`; returns how
    /// many were removed and lowers the breach's count by as many.
    pub fn purge_breach_hashes(
        &mut self,
        number: u16,
        first: u64,
        last: u64,
    ) -> Result<u64, StoreError> {
        let mut removed = 0u64;
        {
            let mut table = self.txn.open_table(BREACH_INDEX)?;
            table.retain_in((number, first)..=(number, last), |_, ()| {
                removed += 1;
                false
            })?;
        }
        if let Some(mut record) = self.breach(number)? {
            record.identifiers = record.identifiers.saturating_sub(removed);
            self.put_breach(&record)?;
        }
        Ok(removed)
    }
}
