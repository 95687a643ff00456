//! Little-endian integers read out of byte slices; a read past the end gives 0 (callers bound
//! their slices first, so 0 only ever stands for "absent").

pub(crate) fn u16_at(bytes: &[u8], at: usize) -> u16 {
    bytes
        .get(at..at.saturating_add(2))
        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]))
}

pub(crate) fn u32_at(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at.saturating_add(4))
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

pub(crate) fn u64_at(bytes: &[u8], at: usize) -> u64 {
    bytes.get(at..at.saturating_add(8)).map_or(0, |b| {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(b);
        u64::from_le_bytes(raw)
    })
}
