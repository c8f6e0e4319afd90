//! The bot over HTTP: a real bot router and a stand-in of the asset repository's contract (and of
//! the identity service's token endpoint), each on a loopback listener, driven with reqwest.

mod harness;
mod jobs;
mod retention;
mod standin;
mod tus;
