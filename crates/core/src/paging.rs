//! List paging: `page_size` (capped) and an opaque `page_token`.
//!
//! A token carries the offset of the next page and a fingerprint of the
//! filter it was issued for, so a token replayed with another filter is an
//! `INVALID_ARGUMENT`, not a silently wrong page.

use crate::error::ApiError;

/// Page size when the caller sends 0.
pub const DEFAULT_PAGE_SIZE: u64 = 50;
/// Largest page a caller may ask for.
pub const MAX_PAGE_SIZE: u64 = 200;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: u64,
    pub size: u64,
    fingerprint: u64,
}

/// FNV-1a over the filter's canonical text: stable across processes and
/// versions, unlike `DefaultHasher`.
fn fingerprint(filter: &str) -> u64 {
    filter.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Page {
    /// Validates `page_size` and `page_token` for a list whose filter is
    /// described by `filter` (any canonical text of the filter fields).
    pub fn parse(page_size: i32, page_token: &str, filter: &str) -> Result<Self, ApiError> {
        let size = match page_size {
            0 => DEFAULT_PAGE_SIZE,
            n if n < 0 => return Err(ApiError::invalid_field("page_size", "must not be negative")),
            n => u64::try_from(n).unwrap_or(MAX_PAGE_SIZE).min(MAX_PAGE_SIZE),
        };
        let fp = fingerprint(filter);
        let offset = if page_token.is_empty() {
            0
        } else {
            let bad = || {
                ApiError::invalid_field(
                    "page_token",
                    "not a token from a previous call with the same filter",
                )
            };
            let (off, tok_fp) = page_token.split_once('.').ok_or_else(bad)?;
            let off = u64::from_str_radix(off, 16).map_err(|_| bad())?;
            let tok_fp = u64::from_str_radix(tok_fp, 16).map_err(|_| bad())?;
            if tok_fp != fp {
                return Err(bad());
            }
            off
        };
        Ok(Self {
            offset,
            size,
            fingerprint: fp,
        })
    }

    /// Fetch one more row than the page to know whether another page follows.
    pub fn fetch_limit(&self) -> u64 {
        self.size + 1
    }

    /// Trims `rows` (fetched with `fetch_limit`) to the page and returns the
    /// token of the next page, empty on the last page.
    pub fn finish<T>(&self, rows: &mut Vec<T>) -> String {
        if rows.len() as u64 > self.size {
            rows.truncate(usize::try_from(self.size).unwrap_or(usize::MAX));
            format!("{:x}.{:x}", self.offset + self.size, self.fingerprint)
        } else {
            String::new()
        }
    }

    /// Pages an already sorted, fully loaded list (small lists only).
    pub fn slice<T>(&self, all: Vec<T>) -> (Vec<T>, String) {
        let mut rows: Vec<T> = all
            .into_iter()
            .skip(usize::try_from(self.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(self.fetch_limit()).unwrap_or(usize::MAX))
            .collect();
        let next = self.finish(&mut rows);
        (rows, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_through_a_list() {
        let all: Vec<u32> = (0..7).collect();
        let p = Page::parse(3, "", "f").unwrap();
        let (a, t) = p.slice(all.clone());
        assert_eq!(a, [0, 1, 2]);
        let p = Page::parse(3, &t, "f").unwrap();
        let (b, t) = p.slice(all.clone());
        assert_eq!(b, [3, 4, 5]);
        let p = Page::parse(3, &t, "f").unwrap();
        let (c, t) = p.slice(all);
        assert_eq!(c, [6]);
        assert!(t.is_empty());
    }

    #[test]
    fn rejects_bad_sizes_and_foreign_tokens() {
        assert!(Page::parse(-1, "", "f").is_err());
        assert_eq!(
            Page::parse(10_000, "", "f").map(|p| p.size).ok(),
            Some(MAX_PAGE_SIZE)
        );
        assert_eq!(
            Page::parse(0, "", "f").map(|p| p.size).ok(),
            Some(DEFAULT_PAGE_SIZE)
        );
        let (_, t) = Page::parse(1, "", "f").unwrap().slice(vec![1, 2]);
        assert!(Page::parse(1, &t, "other filter").is_err());
        assert!(Page::parse(1, "garbage", "f").is_err());
    }
}
