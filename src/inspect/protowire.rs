//! A streaming protobuf wire-format reader shared by the ONNX and TensorFlow readers.
//!
//! Hand-rolled rather than generated with `prost` because gate must walk messages of any size
//! without holding them: `prost` decodes a whole message into memory (a 2 GB ONNX file with
//! inline initializers would be read whole), while this reader descends only into the fields a
//! reader asks for and seeks over everything else (tensor bytes are never read). Every length is
//! checked against the end of its enclosing message before it is used, and nothing is allocated
//! from a length the file claims beyond a caller's cap.

use std::io::{self, BufReader, Read, Seek, SeekFrom};

/// Why a message could not be walked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WireError {
    #[error("malformed protobuf at byte {offset}: {problem}")]
    Malformed { offset: u64, problem: &'static str },
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Wire types gate handles (groups, 3 and 4, are deprecated and refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WireType {
    Varint,
    Fixed64,
    Len,
    Fixed32,
}

/// A field key and where its value starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub(crate) number: u64,
    pub(crate) wire: WireType,
}

pub(crate) struct Wire<R> {
    reader: BufReader<R>,
    position: u64,
}

impl<R: Read + Seek> Wire<R> {
    /// Starts reading at byte 0 of `inner`.
    pub(crate) fn new(mut inner: R) -> io::Result<Self> {
        inner.seek(SeekFrom::Start(0))?;
        Ok(Self {
            reader: BufReader::with_capacity(64 * 1024, inner),
            position: 0,
        })
    }

    pub(crate) fn position(&self) -> u64 {
        self.position
    }

    fn malformed(&self, problem: &'static str) -> WireError {
        WireError::Malformed {
            offset: self.position,
            problem,
        }
    }

    fn byte(&mut self) -> Result<u8, WireError> {
        let mut one = [0u8; 1];
        match self.reader.read_exact(&mut one) {
            Ok(()) => {
                self.position += 1;
                Ok(one[0])
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                Err(self.malformed("the file ends inside a field"))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) fn varint(&mut self) -> Result<u64, WireError> {
        let mut value = 0u64;
        for i in 0..10 {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.malformed("a varint longer than 10 bytes"))
    }

    /// The next field key of the message ending at `end`, or `None` at its end.
    pub(crate) fn next_field(&mut self, end: u64) -> Result<Option<Field>, WireError> {
        if self.position >= end {
            return Ok(None);
        }
        let key = self.varint()?;
        let number = key >> 3;
        if number == 0 {
            return Err(self.malformed("field number 0"));
        }
        let wire = match key & 7 {
            0 => WireType::Varint,
            1 => WireType::Fixed64,
            2 => WireType::Len,
            5 => WireType::Fixed32,
            _ => return Err(self.malformed("a group or unknown wire type")),
        };
        if self.position > end {
            return Err(self.malformed("a field key runs past its message"));
        }
        Ok(Some(Field { number, wire }))
    }

    /// Reads a length prefix and returns where the length-delimited value ends.
    pub(crate) fn len_end(&mut self, end: u64) -> Result<u64, WireError> {
        let len = self.varint()?;
        match self.position.checked_add(len) {
            Some(value_end) if value_end <= end => Ok(value_end),
            _ => Err(self.malformed("a length runs past the end of its message")),
        }
    }

    /// Skips the value of `field` inside a message ending at `end`.
    pub(crate) fn skip(&mut self, field: Field, end: u64) -> Result<(), WireError> {
        let target = match field.wire {
            WireType::Varint => {
                self.varint()?;
                return if self.position > end {
                    Err(self.malformed("a varint runs past its message"))
                } else {
                    Ok(())
                };
            }
            WireType::Fixed64 => self.position.saturating_add(8),
            WireType::Fixed32 => self.position.saturating_add(4),
            WireType::Len => self.len_end(end)?,
        };
        if target > end {
            return Err(self.malformed("a fixed-size value runs past its message"));
        }
        self.seek_to(target)
    }

    /// Moves to `target` (forward or back), reusing the buffer when possible.
    pub(crate) fn seek_to(&mut self, target: u64) -> Result<(), WireError> {
        let delta = i128::from(target) - i128::from(self.position);
        let delta = i64::try_from(delta).map_err(|_| self.malformed("an offset out of range"))?;
        self.reader.seek_relative(delta)?;
        self.position = target;
        Ok(())
    }

    /// Reads a length-delimited field as text, keeping at most `cap` bytes (lossy UTF-8); the
    /// rest is skipped. Returns the text and whether it was cut.
    pub(crate) fn string(&mut self, end: u64, cap: usize) -> Result<(String, bool), WireError> {
        let value_end = self.len_end(end)?;
        let len = value_end - self.position;
        let keep = usize::try_from(len).unwrap_or(usize::MAX).min(cap);
        let mut bytes = Vec::with_capacity(keep.min(64 * 1024));
        (&mut self.reader)
            .take(keep as u64)
            .read_to_end(&mut bytes)?;
        if bytes.len() != keep {
            return Err(self.malformed("the file ends inside a string"));
        }
        self.position += keep as u64;
        self.seek_to(value_end)?;
        Ok((
            String::from_utf8_lossy(&bytes).into_owned(),
            (keep as u64) < len,
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn walks_and_skips_fields() {
        // field 1 varint 150, field 2 string "hi", field 3 fixed32.
        let bytes = [0x08, 0x96, 0x01, 0x12, 0x02, b'h', b'i', 0x1d, 1, 2, 3, 4];
        let mut wire = Wire::new(Cursor::new(bytes.to_vec())).unwrap();
        let end = bytes.len() as u64;
        let f = wire.next_field(end).unwrap().unwrap();
        assert_eq!((f.number, f.wire), (1, WireType::Varint));
        assert_eq!(wire.varint().unwrap(), 150);
        let f = wire.next_field(end).unwrap().unwrap();
        assert_eq!(f.number, 2);
        assert_eq!(wire.string(end, 1).unwrap(), ("h".to_owned(), true));
        let f = wire.next_field(end).unwrap().unwrap();
        wire.skip(f, end).unwrap();
        assert!(wire.next_field(end).unwrap().is_none());
    }

    #[test]
    fn lengths_past_the_message_are_refused() {
        let bytes = [0x12, 0xff, 0xff, 0xff, 0xff, 0x0f, b'x'];
        let mut wire = Wire::new(Cursor::new(bytes.to_vec())).unwrap();
        let f = wire.next_field(7).unwrap().unwrap();
        assert!(matches!(wire.skip(f, 7), Err(WireError::Malformed { .. })));
        let mut wire = Wire::new(Cursor::new(vec![0x80u8; 20])).unwrap();
        assert!(wire.varint().is_err());
        let mut wire = Wire::new(Cursor::new(vec![0x0b])).unwrap();
        assert!(wire.next_field(1).is_err(), "groups are refused");
    }
}
