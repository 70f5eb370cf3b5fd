//! Change cursors as clients see them: opaque, self-checking tokens that
//! carry a position in the change log and a tag of the database that
//! issued them. A token that was altered, or that another database issued,
//! is refused by [`decode`] rather than read as a position (which would
//! answer a silent empty or wrong stream).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use sha2::{Digest, Sha256};

const VERSION: u8 = 1;
const TAG_BYTES: usize = 6;
const CHECK_BYTES: usize = 4;
const TOKEN_BYTES: usize = 1 + TAG_BYTES + 8 + CHECK_BYTES;

/// Why a token is not a cursor of this database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorError {
    /// Not a token this service issued (or altered).
    Malformed,
    /// A valid token of another database.
    OtherDatabase,
}

fn tag(database_id: &str) -> [u8; TAG_BYTES] {
    let digest = Sha256::digest(database_id.as_bytes());
    let mut tag = [0u8; TAG_BYTES];
    tag.copy_from_slice(&digest[..TAG_BYTES]);
    tag
}

fn check(body: &[u8]) -> [u8; CHECK_BYTES] {
    let digest = Sha256::digest(body);
    let mut check = [0u8; CHECK_BYTES];
    check.copy_from_slice(&digest[..CHECK_BYTES]);
    check
}

/// The token of `position` in the database named `database_id`.
pub fn encode(database_id: &str, position: i64) -> String {
    let mut bytes = Vec::with_capacity(TOKEN_BYTES);
    bytes.push(VERSION);
    bytes.extend_from_slice(&tag(database_id));
    bytes.extend_from_slice(&position.to_be_bytes());
    let sum = check(&bytes);
    bytes.extend_from_slice(&sum);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The position a token names, if this database issued it.
pub fn decode(database_id: &str, token: &str) -> Result<i64, CursorError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(token.trim())
        .map_err(|_| CursorError::Malformed)?;
    if bytes.len() != TOKEN_BYTES || bytes[0] != VERSION {
        return Err(CursorError::Malformed);
    }
    let (body, sum) = bytes.split_at(TOKEN_BYTES - CHECK_BYTES);
    if check(body) != sum {
        return Err(CursorError::Malformed);
    }
    if body[1..1 + TAG_BYTES] != tag(database_id) {
        return Err(CursorError::OtherDatabase);
    }
    let mut position = [0u8; 8];
    position.copy_from_slice(&body[1 + TAG_BYTES..]);
    let position = i64::from_be_bytes(position);
    if position < 0 {
        return Err(CursorError::Malformed);
    }
    Ok(position)
}
