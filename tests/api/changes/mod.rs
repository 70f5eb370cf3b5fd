//! The scorecard change feed: what writes record (`recording`) and what
//! a change carries besides status and value (`carried`), how
//! watches and listings deliver it (`delivery`), and the refusals of bad
//! cursors and filters (`bad_input`). The replicas test (a watcher on
//! another process) is in `crate::replicas::changes`.

mod bad_input;
mod carried;
mod delivery;
mod recording;
