//! Pickle streams: the opcode table of protocols 0–5 (CPython's `pickletools`), and a shape walk
//! that recognises a pickle by structure (valid opcodes, arguments and stack effects) without
//! running anything. The symbolic machine that resolves globals builds on this table.

pub(crate) mod compression;
pub(crate) mod machine;
pub(crate) mod source;

use machine::{Collector, End, Limit, Limits, Value};
use source::Source;

/// How a stream of stacked pickles ended, when it did not end cleanly.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ending {
    Malformed { offset: u64, problem: String },
    Limit { offset: u64, what: Limit },
    Io(String),
}

/// What one stream (a file, a member) holds.
#[derive(Debug, Default)]
pub(crate) struct StreamReport {
    pub(crate) collector: Collector,
    pub(crate) ending: Option<Ending>,
    /// The value each complete pickle returned, in order.
    pub(crate) values: Vec<Value>,
}

/// Reads stacked pickles from `source`: `count` of them, or until the stream ends. Bytes after
/// the last STOP that are not a complete pickle end the stream as malformed (fail closed).
pub(crate) fn scan_stream(
    source: &mut Source<'_>,
    limits: &Limits,
    count: Option<usize>,
) -> StreamReport {
    let mut report = StreamReport::default();
    loop {
        if count.is_some_and(|n| report.values.len() >= n) {
            break;
        }
        match source.at_end() {
            Ok(true) => {
                if report.values.is_empty() || count.is_some() {
                    report.ending = Some(Ending::Malformed {
                        offset: source.offset(),
                        problem: "the stream ends before STOP (truncated)".to_owned(),
                    });
                }
                break;
            }
            Ok(false) => {}
            Err(source::SourceError::Budget) => {
                report.ending = Some(Ending::Limit {
                    offset: source.offset(),
                    what: Limit::Decompressed,
                });
                break;
            }
            Err(source::SourceError::Io(e)) => {
                report.ending = Some(Ending::Io(e.to_string()));
                break;
            }
        }
        match machine::run(source, &mut report.collector, limits) {
            End::Stop(value) => report.values.push(value),
            End::Malformed { offset, problem } => {
                report.ending = Some(Ending::Malformed { offset, problem });
                break;
            }
            End::Limit { offset, what } => {
                report.ending = Some(Ending::Limit { offset, what });
                break;
            }
            End::Io(e) => {
                report.ending = Some(Ending::Io(e));
                break;
            }
        }
    }
    report
}

/// How an opcode's argument is encoded in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arg {
    None,
    /// Fixed number of bytes.
    Fixed(u8),
    /// One newline-terminated line.
    Line,
    /// Two newline-terminated lines (GLOBAL, INST).
    TwoLines,
    /// A length prefix of 1, 4 or 8 little-endian bytes, then that many bytes.
    Counted(u8),
}

/// How an opcode moves the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stack {
    /// Pops `pops` items above the current mark, pushes `pushes`.
    Plain {
        pops: u8,
        pushes: u8,
    },
    Mark,
    PopMark,
    /// Pops everything down to the mark, pushes `pushes`, then needs `below` items under it.
    ToMark {
        pushes: u8,
        below: u8,
    },
    Stop,
}

/// One opcode of the pickle machine.
#[derive(Debug, Clone, Copy)]
#[expect(
    dead_code,
    reason = "protocol documents the table; the machine does not need it"
)]
pub(crate) struct Opcode {
    pub(crate) code: u8,
    pub(crate) name: &'static str,
    pub(crate) arg: Arg,
    pub(crate) stack: Stack,
    pub(crate) protocol: u8,
}

const fn op(code: u8, name: &'static str, arg: Arg, stack: Stack, protocol: u8) -> Opcode {
    Opcode {
        code,
        name,
        arg,
        stack,
        protocol,
    }
}
const fn plain(pops: u8, pushes: u8) -> Stack {
    Stack::Plain { pops, pushes }
}

/// Every opcode CPython 3.13 knows.
pub(crate) const OPCODES: &[Opcode] = &[
    op(b'(', "MARK", Arg::None, Stack::Mark, 0),
    op(b'.', "STOP", Arg::None, Stack::Stop, 0),
    op(b'0', "POP", Arg::None, plain(1, 0), 0),
    op(b'1', "POP_MARK", Arg::None, Stack::PopMark, 1),
    op(b'2', "DUP", Arg::None, plain(1, 2), 0),
    op(b'F', "FLOAT", Arg::Line, plain(0, 1), 0),
    op(b'I', "INT", Arg::Line, plain(0, 1), 0),
    op(b'J', "BININT", Arg::Fixed(4), plain(0, 1), 1),
    op(b'K', "BININT1", Arg::Fixed(1), plain(0, 1), 1),
    op(b'L', "LONG", Arg::Line, plain(0, 1), 0),
    op(b'M', "BININT2", Arg::Fixed(2), plain(0, 1), 1),
    op(b'N', "NONE", Arg::None, plain(0, 1), 0),
    op(b'P', "PERSID", Arg::Line, plain(0, 1), 0),
    op(b'Q', "BINPERSID", Arg::None, plain(1, 1), 1),
    op(b'R', "REDUCE", Arg::None, plain(2, 1), 0),
    op(b'S', "STRING", Arg::Line, plain(0, 1), 0),
    op(b'T', "BINSTRING", Arg::Counted(4), plain(0, 1), 1),
    op(b'U', "SHORT_BINSTRING", Arg::Counted(1), plain(0, 1), 1),
    op(b'V', "UNICODE", Arg::Line, plain(0, 1), 0),
    op(b'X', "BINUNICODE", Arg::Counted(4), plain(0, 1), 1),
    op(b'a', "APPEND", Arg::None, plain(2, 1), 0),
    op(b'b', "BUILD", Arg::None, plain(2, 1), 0),
    op(b'c', "GLOBAL", Arg::TwoLines, plain(0, 1), 0),
    op(
        b'd',
        "DICT",
        Arg::None,
        Stack::ToMark {
            pushes: 1,
            below: 0,
        },
        0,
    ),
    op(b'}', "EMPTY_DICT", Arg::None, plain(0, 1), 1),
    op(
        b'e',
        "APPENDS",
        Arg::None,
        Stack::ToMark {
            pushes: 0,
            below: 1,
        },
        1,
    ),
    op(b'g', "GET", Arg::Line, plain(0, 1), 0),
    op(b'h', "BINGET", Arg::Fixed(1), plain(0, 1), 1),
    op(
        b'i',
        "INST",
        Arg::TwoLines,
        Stack::ToMark {
            pushes: 1,
            below: 0,
        },
        0,
    ),
    op(b'j', "LONG_BINGET", Arg::Fixed(4), plain(0, 1), 1),
    op(
        b'l',
        "LIST",
        Arg::None,
        Stack::ToMark {
            pushes: 1,
            below: 0,
        },
        0,
    ),
    op(b']', "EMPTY_LIST", Arg::None, plain(0, 1), 1),
    op(
        b'o',
        "OBJ",
        Arg::None,
        Stack::ToMark {
            pushes: 1,
            below: 0,
        },
        1,
    ),
    op(b'p', "PUT", Arg::Line, plain(1, 1), 0),
    op(b'q', "BINPUT", Arg::Fixed(1), plain(1, 1), 1),
    op(b'r', "LONG_BINPUT", Arg::Fixed(4), plain(1, 1), 1),
    op(b's', "SETITEM", Arg::None, plain(3, 1), 0),
    op(
        b't',
        "TUPLE",
        Arg::None,
        Stack::ToMark {
            pushes: 1,
            below: 0,
        },
        0,
    ),
    op(b')', "EMPTY_TUPLE", Arg::None, plain(0, 1), 1),
    op(
        b'u',
        "SETITEMS",
        Arg::None,
        Stack::ToMark {
            pushes: 0,
            below: 1,
        },
        1,
    ),
    op(b'G', "BINFLOAT", Arg::Fixed(8), plain(0, 1), 1),
    op(0x80, "PROTO", Arg::Fixed(1), plain(0, 0), 2),
    op(0x81, "NEWOBJ", Arg::None, plain(2, 1), 2),
    op(0x82, "EXT1", Arg::Fixed(1), plain(0, 1), 2),
    op(0x83, "EXT2", Arg::Fixed(2), plain(0, 1), 2),
    op(0x84, "EXT4", Arg::Fixed(4), plain(0, 1), 2),
    op(0x85, "TUPLE1", Arg::None, plain(1, 1), 2),
    op(0x86, "TUPLE2", Arg::None, plain(2, 1), 2),
    op(0x87, "TUPLE3", Arg::None, plain(3, 1), 2),
    op(0x88, "NEWTRUE", Arg::None, plain(0, 1), 2),
    op(0x89, "NEWFALSE", Arg::None, plain(0, 1), 2),
    op(0x8a, "LONG1", Arg::Counted(1), plain(0, 1), 2),
    op(0x8b, "LONG4", Arg::Counted(4), plain(0, 1), 2),
    op(b'B', "BINBYTES", Arg::Counted(4), plain(0, 1), 3),
    op(b'C', "SHORT_BINBYTES", Arg::Counted(1), plain(0, 1), 3),
    op(0x8c, "SHORT_BINUNICODE", Arg::Counted(1), plain(0, 1), 4),
    op(0x8d, "BINUNICODE8", Arg::Counted(8), plain(0, 1), 4),
    op(0x8e, "BINBYTES8", Arg::Counted(8), plain(0, 1), 4),
    op(0x8f, "EMPTY_SET", Arg::None, plain(0, 1), 4),
    op(
        0x90,
        "ADDITEMS",
        Arg::None,
        Stack::ToMark {
            pushes: 0,
            below: 1,
        },
        4,
    ),
    op(
        0x91,
        "FROZENSET",
        Arg::None,
        Stack::ToMark {
            pushes: 1,
            below: 0,
        },
        4,
    ),
    op(0x92, "NEWOBJ_EX", Arg::None, plain(3, 1), 4),
    op(0x93, "STACK_GLOBAL", Arg::None, plain(2, 1), 4),
    op(0x94, "MEMOIZE", Arg::None, plain(1, 1), 4),
    op(0x95, "FRAME", Arg::Fixed(8), plain(0, 0), 4),
    op(0x96, "BYTEARRAY8", Arg::Counted(8), plain(0, 1), 5),
    op(0x97, "NEXT_BUFFER", Arg::None, plain(0, 1), 5),
    op(0x98, "READONLY_BUFFER", Arg::None, plain(1, 1), 5),
];

/// The opcode for a byte, if it is one.
pub(crate) fn opcode(byte: u8) -> Option<&'static Opcode> {
    OPCODE_INDEX[usize::from(byte)].map(|i| &OPCODES[usize::from(i)])
}

static OPCODE_INDEX: [Option<u8>; 256] = {
    let mut index = [None; 256];
    let mut i = 0;
    while i < OPCODES.len() {
        index[OPCODES[i].code as usize] = Some(i as u8);
        i += 1;
    }
    index
};

/// What a shape walk over the start of a stream concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A complete pickle ended with STOP at this offset (exclusive).
    Complete { end: usize, opcodes: usize },
    /// The bytes ran out while every opcode so far was valid.
    Truncated { opcodes: usize },
    /// Not a pickle: an unknown opcode, a bad argument or a stack underflow at this offset.
    Invalid { offset: usize },
}

/// Walks opcodes from the start of `bytes`, checking arguments and stack effects as CPython's
/// unpickler would, without building any object. Used to recognise pickles by content.
pub(crate) fn shape(bytes: &[u8]) -> Shape {
    let mut pos = 0usize;
    let mut depth: usize = 0;
    let mut marks: Vec<usize> = Vec::new();
    let mut opcodes = 0usize;
    while pos < bytes.len() {
        let start = pos;
        let Some(op) = opcode(bytes[pos]) else {
            return Shape::Invalid { offset: start };
        };
        pos += 1;
        let arg_end = match op.arg {
            Arg::None => Some(pos),
            Arg::Fixed(n) => pos.checked_add(usize::from(n)),
            Arg::Line => line_end(bytes, pos),
            Arg::TwoLines => line_end(bytes, pos).and_then(|e| line_end(bytes, e)),
            Arg::Counted(width) => counted_end(bytes, pos, width),
        };
        let Some(arg_end) = arg_end else {
            return Shape::Truncated { opcodes };
        };
        if arg_end > bytes.len() {
            return Shape::Truncated { opcodes };
        }
        if op.code == 0x80 && bytes.get(pos).is_none_or(|p| *p > 5) {
            return Shape::Invalid { offset: start };
        }
        // UNICODE lines are raw-unicode-escape: control characters other than CR/LF stay raw.
        if matches!(op.arg, Arg::Line | Arg::TwoLines)
            && op.code != b'V'
            && !printable(&bytes[pos..arg_end])
        {
            return Shape::Invalid { offset: start };
        }
        pos = arg_end;
        opcodes += 1;
        let base = marks.last().copied().unwrap_or(0);
        match op.stack {
            Stack::Plain { pops, pushes } => {
                let pops = usize::from(pops);
                if depth < base + pops {
                    return Shape::Invalid { offset: start };
                }
                depth = depth - pops + usize::from(pushes);
            }
            Stack::Mark => marks.push(depth),
            Stack::PopMark => match marks.pop() {
                Some(mark) => depth = mark,
                None => return Shape::Invalid { offset: start },
            },
            Stack::ToMark { pushes, below } => {
                let Some(mark) = marks.pop() else {
                    return Shape::Invalid { offset: start };
                };
                let outer = marks.last().copied().unwrap_or(0);
                if mark < outer + usize::from(below) || (op.code == b'o' && depth == mark) {
                    return Shape::Invalid { offset: start };
                }
                depth = mark + usize::from(pushes);
            }
            Stack::Stop => {
                if depth == 0 {
                    return Shape::Invalid { offset: start };
                }
                return Shape::Complete { end: pos, opcodes };
            }
        }
    }
    Shape::Truncated { opcodes }
}

fn line_end(bytes: &[u8], from: usize) -> Option<usize> {
    let rest = bytes.get(from..)?;
    rest.iter().position(|b| *b == b'\n').map(|i| from + i + 1)
}

fn counted_end(bytes: &[u8], from: usize, width: u8) -> Option<usize> {
    let width = usize::from(width);
    let raw = bytes.get(from..from + width)?;
    let mut len: u64 = 0;
    for (i, byte) in raw.iter().enumerate() {
        len |= u64::from(*byte) << (8 * i);
    }
    let len = usize::try_from(len).ok()?;
    (from + width).checked_add(len).or(Some(usize::MAX))
}

/// Text arguments of protocol-0 opcodes are printable lines (names, numbers, quoted strings).
fn printable(line: &[u8]) -> bool {
    line.iter().all(|b| {
        *b == b'\n' || *b == b'\r' || *b == b'\t' || (0x20..0x7f).contains(b) || *b >= 0x80
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_no_duplicate_codes() {
        let mut seen = std::collections::BTreeSet::new();
        for op in OPCODES {
            assert!(seen.insert(op.code), "{} twice", op.name);
        }
        assert_eq!(OPCODES.len(), 68);
    }

    #[test]
    fn protocol_zero_dict() {
        let bytes = b"(dp0\nVa\np1\nI1\ns.";
        assert!(matches!(shape(bytes), Shape::Complete { .. }));
    }

    #[test]
    fn text_is_not_a_pickle() {
        assert!(matches!(shape(b"(a."), Shape::Invalid { .. }));
        assert!(matches!(
            shape(b"x marks the spot\n"),
            Shape::Invalid { .. }
        ));
        assert!(matches!(shape(b"Nothing to see."), Shape::Invalid { .. }));
    }

    #[test]
    fn truncated_stream() {
        assert!(matches!(
            shape(b"\x80\x02cposix\nsys"),
            Shape::Truncated { .. }
        ));
    }
}

/// No input makes the reader or the machine panic, hang or allocate by a claimed length: a
/// deterministic fuzz loop over mutated real pickles and random bytes.
#[cfg(test)]
mod fuzz {
    use super::machine::{Limits, calls_a_global};
    use super::source::{Inner, Source};
    use super::{scan_stream, shape};

    const SEEDS: &[&[u8]] = &[
        include_bytes!("../../tests/fixtures/pickles/benign/builtins/p0.pkl"),
        include_bytes!("../../tests/fixtures/pickles/benign/builtins/p2.pkl"),
        include_bytes!("../../tests/fixtures/pickles/benign/builtins/p5.pkl"),
        include_bytes!("../../tests/fixtures/pickles/benign/numpy/array-p4.pkl"),
        include_bytes!("../../tests/fixtures/pickles/benign/joblib/arrays.joblib"),
        include_bytes!("../../tests/fixtures/pickles/malicious/memo-decoy.pkl"),
        include_bytes!("../../tests/fixtures/pickles/malicious/frame-straddle.pkl"),
        include_bytes!("../../tests/fixtures/pickles/malicious/joblib-padding-opcodes.joblib"),
    ];

    /// xorshift64*: reproducible without a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
        let mut bytes = seed.to_vec();
        for _ in 0..1 + rng.below(8) {
            match rng.below(6) {
                0 if !bytes.is_empty() => {
                    let at = rng.below(bytes.len());
                    bytes[at] = rng.next() as u8;
                }
                1 if !bytes.is_empty() => {
                    let at = rng.below(bytes.len());
                    bytes.truncate(at);
                }
                2 => {
                    let at = rng.below(bytes.len() + 1);
                    // Opcodes with lengths, then a huge little-endian length.
                    let op = [b'B', 0x8e, 0x8d, 0x95, b'T', b'X', 0x96, b'h', b'j'][rng.below(9)];
                    let mut insert = vec![op];
                    insert.extend_from_slice(&rng.next().to_le_bytes());
                    bytes.splice(at..at, insert);
                }
                3 if bytes.len() > 4 => {
                    let from = rng.below(bytes.len());
                    let to = rng.below(bytes.len());
                    let len = rng.below(32).min(bytes.len() - from.max(to));
                    let chunk = bytes[from..from + len].to_vec();
                    bytes.splice(to..to, chunk);
                }
                4 => {
                    let at = rng.below(bytes.len() + 1);
                    let run = vec![[b'(', b'2', b'N', b'0', b'}'][rng.below(5)]; rng.below(4096)];
                    bytes.splice(at..at, run);
                }
                _ => {
                    let at = rng.below(bytes.len() + 1);
                    let noise: Vec<u8> = (0..rng.below(16)).map(|_| rng.next() as u8).collect();
                    bytes.splice(at..at, noise);
                }
            }
        }
        bytes
    }

    fn run(bytes: &[u8]) {
        let limits = Limits {
            opcodes: 200_000,
            ..Limits::default()
        };
        let mut source = Source::new(Inner::Slice(bytes), 1 << 24);
        let report = scan_stream(&mut source, &limits, None);
        assert!(report.collector.globals.len() <= bytes.len());
        let _ = calls_a_global(bytes);
        let _ = shape(bytes);
    }

    #[test]
    fn mutated_pickles_never_panic_or_hang() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let started = std::time::Instant::now();
        for round in 0..3000 {
            let seed = SEEDS[round % SEEDS.len()];
            run(&mutate(&mut rng, seed));
        }
        assert!(started.elapsed().as_secs() < 60);
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = Rng(42);
        for _ in 0..3000 {
            let len = rng.below(512);
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            run(&bytes);
        }
    }

    #[test]
    fn claimed_lengths_are_never_allocated() {
        for op in [b'B', 0x8e, 0x8d, 0x96, b'T', b'X'] {
            let width = match op {
                0x8e | 0x8d | 0x96 => 8,
                _ => 4,
            };
            let mut bytes = vec![0x80, 5, op];
            bytes.extend(std::iter::repeat_n(0xff, width - 1));
            bytes.push(0x7f);
            bytes.extend_from_slice(b"N.");
            // Would need terabytes if any length were allocated.
            run(&bytes);
        }
    }
}
