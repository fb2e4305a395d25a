//! TLS: decrypting the records of a TLS 1.2 or 1.3 connection with the secrets of an NSS key
//! log (SSLKEYLOGFILE), so that the WebSocket traffic of wss: connections can be decoded.
//!
//! `suite` says which cipher suites can be decrypted, `keys` derives record keys from key log
//! secrets, and `cipher` opens the records of one direction.

// Nothing outside this module uses it until the stage is wired into the pipeline.
#![allow(dead_code)]

pub(crate) mod cipher;
pub(crate) mod keys;
pub(crate) mod suite;
