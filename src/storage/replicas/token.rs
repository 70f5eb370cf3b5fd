//! The consistency token: what a write returns so that a later read can
//! ask for a replica that has its write. It carries the primary's WAL
//! position (LSN) just after the write committed; a standby whose replay
//! position is at or past it holds the write. Clients treat it as opaque.

/// A position in the primary's write-ahead log that a read must see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConsistencyToken {
    lsn: u64,
}

/// The version prefix, so that the encoding can change without old tokens
/// being misread.
const PREFIX: &str = "c1.";

/// A token that this service did not issue (or has been altered).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a consistency token issued by this service; send the token a write returned, unchanged"
)]
pub struct InvalidToken;

impl ConsistencyToken {
    /// The token of a WAL position (bytes since the start of the log).
    pub fn at(lsn: u64) -> Self {
        Self { lsn }
    }

    /// The WAL position a read must see.
    pub fn lsn(self) -> u64 {
        self.lsn
    }

    /// The token as the API carries it.
    pub fn encode(self) -> String {
        format!("{PREFIX}{:x}", self.lsn)
    }

    /// Reads a token back from what [`ConsistencyToken::encode`] wrote.
    pub fn parse(text: &str) -> Result<Self, InvalidToken> {
        let digits = text.strip_prefix(PREFIX).ok_or(InvalidToken)?;
        if digits.is_empty() || digits.len() > 16 {
            return Err(InvalidToken);
        }
        let lsn = u64::from_str_radix(digits, 16).map_err(|_| InvalidToken)?;
        Ok(Self { lsn })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reads_back_as_its_position() {
        for lsn in [0, 1, 0x1_6B37_4D48, u64::MAX] {
            let token = ConsistencyToken::at(lsn);
            assert_eq!(ConsistencyToken::parse(&token.encode()), Ok(token));
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for text in [
            "",
            "c1.",
            "c1.xyz",
            "c2.10",
            "10",
            "c1.-1",
            "c1.10000000000000000",
        ] {
            assert_eq!(ConsistencyToken::parse(text), Err(InvalidToken), "{text:?}");
        }
    }
}
