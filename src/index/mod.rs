//! What every output can browse once decoding is done: the spill file that keeps payload bytes
//! out of memory.

pub mod spill;
