//! Analysis: per-connection tracking ([`connection`]), output order
//! ([`order`]) and the summary ([`aggregate`]).

pub mod accounting;
pub mod aggregate;
pub mod connection;
pub mod fallback;
pub mod order;
