//! Rewrites length-delimited fields of an encoded protobuf message without
//! its schema: a field's value is offered to a replacement function, and if
//! that declines, parsed as a nested message (when it is one) and rewritten
//! in turn. Untouched fields keep their exact bytes.

/// Deepest nesting that is looked into.
const MAX_DEPTH: u32 = 16;

fn read_varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn write_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// `buf` with the length-delimited values that `replace` maps (at any
/// depth) replaced, or `None` when nothing changed or `buf` is not a
/// well-formed message.
pub fn rewrite(buf: &[u8], replace: &dyn Fn(&[u8]) -> Option<Vec<u8>>) -> Option<Vec<u8>> {
    rewrite_at(buf, replace, 0)
}

fn rewrite_at(
    buf: &[u8],
    replace: &dyn Fn(&[u8]) -> Option<Vec<u8>>,
    depth: u32,
) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut changed = false;
    let mut pos = 0;
    while pos < buf.len() {
        let start = pos;
        let key = read_varint(buf, &mut pos)?;
        if key >> 3 == 0 {
            return None;
        }
        match key & 7 {
            0 => {
                read_varint(buf, &mut pos)?;
            }
            1 | 5 => {
                let width = if key & 7 == 1 { 8 } else { 4 };
                pos = pos.checked_add(width).filter(|&p| p <= buf.len())?;
            }
            2 => {
                let len = usize::try_from(read_varint(buf, &mut pos)?).ok()?;
                let end = pos.checked_add(len).filter(|&e| e <= buf.len())?;
                let value = &buf[pos..end];
                let new = replace(value).or_else(|| {
                    (depth < MAX_DEPTH)
                        .then(|| rewrite_at(value, replace, depth + 1))
                        .flatten()
                });
                if let Some(new) = new {
                    write_varint(key, &mut out);
                    write_varint(new.len() as u64, &mut out);
                    out.extend_from_slice(&new);
                    changed = true;
                    pos = end;
                    continue;
                }
                pos = end;
            }
            _ => return None,
        }
        out.extend_from_slice(&buf[start..pos]);
    }
    changed.then_some(out)
}
