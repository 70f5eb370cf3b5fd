//! Page tokens of live (open-period) listings. A listing is pinned to its
//! first page: agents added to the directory afterwards are not in it, and
//! a listing in score order also remembers the numbers' watermark, so that
//! a later page computed on other numbers (which could move an agent across
//! the page boundary) is refused instead of skipping or repeating one.

use crate::{
    error::ServiceError,
    service::pagination::{decode_token, encode_token},
};

/// Where a live listing stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LiveCursor {
    /// When the first page was served (µs): the agent set's cut-off.
    pub as_of_us: i64,
    /// The numbers' watermark at the first page (score-ordered listings).
    pub watermark: Option<i64>,
    /// The last agent id served, or the offset of the next item.
    pub position: String,
}

impl LiveCursor {
    /// The cursor of a first page.
    pub fn start(watermark: Option<i64>) -> Self {
        Self {
            as_of_us: chrono::Utc::now().timestamp_micros(),
            watermark,
            position: String::new(),
        }
    }

    pub fn encode(&self, fingerprint: &str, position: &str) -> String {
        let watermark = self
            .watermark
            .map(|value| value.to_string())
            .unwrap_or_default();
        encode_token(
            fingerprint,
            &format!("{}|{watermark}|{position}", self.as_of_us),
        )
    }

    /// Decodes a token (`None` for the first page).
    pub fn decode(token: &str, fingerprint: &str) -> Result<Option<Self>, ServiceError> {
        let Some(key) = decode_token(token, fingerprint)? else {
            return Ok(None);
        };
        let invalid = || {
            ServiceError::invalid_field(
                "page_token",
                "page_token is not a token this service issued",
            )
        };
        let mut parts = key.splitn(3, '|');
        let as_of_us = parts
            .next()
            .and_then(|part| part.parse().ok())
            .ok_or_else(invalid)?;
        let watermark = match parts.next().ok_or_else(invalid)? {
            "" => None,
            text => Some(text.parse().map_err(|_| invalid())?),
        };
        let position = parts.next().ok_or_else(invalid)?.to_owned();
        Ok(Some(Self {
            as_of_us,
            watermark,
            position,
        }))
    }

    /// Refuses a page computed on other numbers than the first page's.
    pub fn check_watermark(&self, watermark: Option<i64>) -> Result<(), ServiceError> {
        if self.watermark != watermark {
            return Err(ServiceError::ListingChanged);
        }
        Ok(())
    }

    /// The offset position of a score-ordered page, after checking that the
    /// numbers did not move since the first page.
    pub fn offset_at(&self, watermark: Option<i64>) -> Result<usize, ServiceError> {
        self.check_watermark(watermark)?;
        self.position.parse().map_err(|_| {
            ServiceError::invalid_field(
                "page_token",
                "page_token is not a token this service issued",
            )
        })
    }
}

/// The page of `items` at `offset`, and the next token from `cursor`.
pub(super) fn offset_page<T>(
    mut items: Vec<T>,
    offset: usize,
    size: u64,
    cursor: &LiveCursor,
    fingerprint: &str,
) -> (Vec<T>, String) {
    let end = offset.saturating_add(size as usize).min(items.len());
    let next = if end < items.len() {
        cursor.encode(fingerprint, &end.to_string())
    } else {
        String::new()
    };
    let page = if offset < items.len() {
        items.drain(offset..end).collect()
    } else {
        Vec::new()
    };
    (page, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_refuses_moved_numbers() {
        let cursor = LiveCursor {
            as_of_us: 42,
            watermark: Some(7),
            position: "agent|with|bars".into(),
        };
        let token = cursor.encode("f", &cursor.position);
        let decoded = LiveCursor::decode(&token, "f").unwrap().unwrap();
        assert_eq!(decoded, cursor);
        let numbered = LiveCursor {
            position: "50".into(),
            ..cursor
        };
        assert_eq!(numbered.offset_at(Some(7)).unwrap(), 50);
        assert!(numbered.offset_at(Some(8)).is_err());
        assert!(LiveCursor::decode("junk", "f").is_err());
    }
}
