#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha1,
    Sha256,
    Sha384,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    Tls12,
    Tls13,
}
#[derive(Debug)]
pub(crate) struct Suite {
    pub(crate) code: u16,
    pub(crate) name: &'static str,
    pub(crate) version: Version,
    pub(crate) hash: Hash,
}
pub(crate) fn supported(_code: u16) -> Option<&'static Suite> {
    None
}
pub(crate) fn name(_code: u16) -> Option<&'static str> {
    None
}
