use super::suite::{Hash, Suite};
pub(crate) fn next_secret(_hash: Hash, secret: &[u8]) -> Vec<u8> {
    secret.to_vec()
}
pub(crate) struct KeyBlock {
    pub(crate) client: WriteKeys,
    pub(crate) server: WriteKeys,
}
pub(crate) struct WriteKeys {
    pub(crate) mac: Vec<u8>,
    pub(crate) key: Vec<u8>,
    pub(crate) iv: Vec<u8>,
}
pub(crate) fn key_block(_suite: &Suite, _master: &[u8], _c: &[u8; 32], _s: &[u8; 32]) -> KeyBlock {
    todo!()
}
