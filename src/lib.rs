//! Skopio: a self-hosted OSINT lookup engine in one binary with one embedded database.
//! (module map filled in below as the parts land)

pub mod dossier;
pub mod email;
pub mod phone;
pub mod username;
