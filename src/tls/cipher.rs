use super::keys::WriteKeys;
use super::suite::Suite;
pub(crate) struct Decryptor {
    seq: u64,
}
impl Decryptor {
    pub(crate) fn tls13(_suite: &'static Suite, _secret: &[u8]) -> Decryptor {
        Decryptor { seq: 0 }
    }
    pub(crate) fn tls12(_suite: &'static Suite, _keys: &WriteKeys, _etm: bool) -> Decryptor {
        Decryptor { seq: 0 }
    }
    pub(crate) fn open(
        &mut self,
        _h: &[u8; 5],
        _b: &[u8],
        _out: &mut Vec<u8>,
    ) -> Result<u8, OpenError> {
        self.seq += 1;
        Err(OpenError::Tag)
    }
    pub(crate) fn skip(&mut self, n: u64) {
        self.seq += n
    }
}
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OpenError {
    #[error("tag")]
    Tag,
}
