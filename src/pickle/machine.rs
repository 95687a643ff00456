//! The symbolic pickle machine: runs a stream opcode by opcode with CPython's C-unpickler rules
//! (stack fence and marks, memo indices, FRAME boundaries, STRING quoting, argument lengths) but
//! builds no objects and calls nothing. It records every global the stream names — resolved
//! through the memo, DUP, POP and decoy strings — with its offset and whether it is called.
//!
//! joblib's loader reads raw array bytes out of the middle of a stream (after BUILD of a
//! `NumpyArrayWrapper`). The machine does the same, and because a plain `pickle.load` would
//! instead parse those bytes as opcodes, it also runs a side machine over them: what either
//! loader would see is judged. Where the side reading skips an argument longer than its
//! look-ahead, it leaves a probe at the offset the plain loader resumes from; the main reading
//! starts a side reading there when it passes that offset inside data, so the two readings can
//! never be steered apart unseen. Globals only a side reading sees are marked as such; the judge
//! reports the dangerous ones and those called from an importable package (a benign object array
//! names `NumpyArrayWrapper.dtype` under that reading, whose import fails harmlessly). A side
//! reading still parsing valid opcodes after the whole look-ahead makes the stream ambiguous
//! (`pickle-malformed`).
//!
//! Memory is bounded by limits, never by a length a stream claims: long arguments are skipped,
//! not held; containers keep at most 64 items and a per-run budget of cells.

use super::source::{Source, SourceError};
use super::{Arg, opcode};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Hard limits of one run; exceeding one ends the stream with [`End::Limit`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) opcodes: u64,
    pub(crate) stack: usize,
    pub(crate) memo: usize,
    /// Bytes a side machine may look ahead into an inline joblib array.
    pub(crate) lookahead: usize,
    /// Container cells (tuple items, dict pairs) kept as values; beyond this values go opaque.
    pub(crate) cells: usize,
    /// Nested pickles (joblib object arrays) inside one stream.
    pub(crate) depth: u8,
}

/// Which limit of [`Limits`] (or the file's decompression budget) a stream ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    Opcodes,
    Stack,
    Marks,
    Memo,
    Depth,
    Decompressed,
}

impl Limit {
    /// What was counted, in words.
    pub(crate) fn what(self) -> &'static str {
        match self {
            Limit::Opcodes => "opcodes per pickle",
            Limit::Stack => "pickle stack size",
            Limit::Marks => "pickle mark count",
            Limit::Memo => "pickle memo size",
            Limit::Depth => "nesting depth",
            Limit::Decompressed => "decompressed bytes",
        }
    }
}

impl Limits {
    /// The built-in default policy's limits.
    pub(crate) const DEFAULT: Self = Self {
        opcodes: 100_000_000,
        stack: 1_000_000,
        memo: 8_000_000,
        lookahead: 1 << 20,
        cells: 1_000_000,
        depth: 4,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How far ahead of an opcode plain-loader probes are replayed from memory.
const PROBE_WINDOW: u64 = 4096;
/// The longest text kept from a string argument (longer ones resolve to unknown names).
const KEEP_TEXT: usize = 256;
/// The classes whose BUILD makes joblib read an inline array (scikit-learn < 0.23 vendored
/// joblib under its own name).
const JOBLIB_WRAPPERS: &[&str] = &[
    "joblib.numpy_pickle.NumpyArrayWrapper",
    "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
];

/// A global the stream names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FoundGlobal {
    /// `None` when the stream computes it (a non-string operand, an extension code).
    pub(crate) module: Option<String>,
    pub(crate) name: Option<String>,
    /// Offset of the opcode that first named it.
    pub(crate) offset: u64,
    /// Whether anything calls it (REDUCE, NEWOBJ, OBJ, INST, BUILD or a container op on it).
    pub(crate) invoked: bool,
    /// Seen only by reading joblib inline-array bytes the way plain `pickle.load` would.
    pub(crate) plain_loader_only: bool,
}

/// Everything the machine learned from the streams of one member.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    pub(crate) globals: Vec<FoundGlobal>,
    index: HashMap<(Option<String>, Option<String>), usize>,
    /// Storage keys of PyTorch persistent ids (`('storage', type, key, location, numel)`).
    pub(crate) storage_keys: Vec<String>,
    /// Offsets where a plain-loader reading resumes after an argument longer than its window:
    /// the main reading must look there too if it does not parse an opcode there itself.
    probes: Vec<u64>,
}

impl Collector {
    fn intern(
        &mut self,
        module: Option<String>,
        name: Option<String>,
        offset: u64,
        side: bool,
    ) -> usize {
        let key = (module, name);
        if let Some(at) = self.index.get(&key) {
            if !side && let Some(global) = self.globals.get_mut(*at) {
                global.plain_loader_only = false;
            }
            return *at;
        }
        let at = self.globals.len();
        self.globals.push(FoundGlobal {
            module: key.0.clone(),
            name: key.1.clone(),
            offset,
            invoked: false,
            plain_loader_only: side,
        });
        self.index.insert(key, at);
        at
    }

    fn add_probe(&mut self, offset: u64) {
        if self.probes.len() < 64 && !self.probes.contains(&offset) {
            self.probes.push(offset);
        }
    }

    /// Removes and returns the smallest probe in `from..to`.
    fn take_probe(&mut self, from: u64, to: u64) -> Option<u64> {
        let (index, offset) = self
            .probes
            .iter()
            .enumerate()
            .filter(|(_, p)| (from..to).contains(*p))
            .min_by_key(|(_, p)| **p)
            .map(|(i, p)| (i, *p))?;
        self.probes.swap_remove(index);
        Some(offset)
    }

    fn invoke(&mut self, value: &Value) {
        if let Value::Global(at) = value
            && let Some(global) = self.globals.get_mut(*at)
        {
            global.invoked = true;
        }
    }

    fn full_name(&self, value: &Value) -> Option<String> {
        let Value::Global(at) = value else {
            return None;
        };
        let global = self.globals.get(*at)?;
        Some(format!(
            "{}.{}",
            global.module.as_deref()?,
            global.name.as_deref()?
        ))
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum End {
    /// STOP: the stream is complete; `value` is what it returned.
    Stop(Value),
    /// A loader would stop with an error here (after running everything before it).
    Malformed { offset: u64, problem: String },
    /// A limit was reached.
    Limit { offset: u64, what: Limit },
    /// The underlying reader failed.
    Io(String),
}

/// A symbolic value: enough to resolve names, joblib arrays and PyTorch storage keys.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    None,
    Bool(bool),
    Int(i64),
    Str(Rc<str>),
    Bytes,
    Tuple(Rc<[Value]>),
    Dict(Rc<RefCell<Vec<(Value, Value)>>>),
    Global(usize),
    Object(Rc<RefCell<Object>>),
    Other,
}

/// The result of calling something: what was called, with what, and the state BUILD gave it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Object {
    class: Value,
    args: Value,
    state: Value,
}

/// Memo entries: picklers number them 0, 1, 2 … so a vector holds them; other keys go to a map.
#[derive(Default)]
struct Table {
    dense: Vec<Option<Value>>,
    sparse: HashMap<u64, Value>,
    count: usize,
}

impl Table {
    fn get(&self, key: u64) -> Option<&Value> {
        usize::try_from(key)
            .ok()
            .and_then(|k| self.dense.get(k))
            .and_then(Option::as_ref)
            .or_else(|| self.sparse.get(&key))
    }

    fn insert(&mut self, key: u64, value: Value) {
        let slot = usize::try_from(key).ok();
        match slot {
            Some(k) if k < self.dense.len() => {
                if self.dense[k].is_none() && !self.sparse.contains_key(&key) {
                    self.count += 1;
                }
                self.sparse.remove(&key);
                self.dense[k] = Some(value);
            }
            Some(k) if k == self.dense.len() => {
                if self.sparse.remove(&key).is_none() {
                    self.count += 1;
                }
                self.dense.push(Some(value));
            }
            _ => {
                if self.sparse.insert(key, value).is_none() {
                    self.count += 1;
                }
            }
        }
    }
}

/// The memo, optionally layered over a parent's (a side machine reads but never writes it).
struct Memo<'p> {
    own: Table,
    parent: Option<&'p Table>,
}

impl Memo<'_> {
    fn get(&self, key: u64) -> Option<&Value> {
        self.own
            .get(key)
            .or_else(|| self.parent.and_then(|p| p.get(key)))
    }
    fn len(&self) -> usize {
        self.own.count + self.parent.map_or(0, |p| p.count)
    }
}

/// Whether the stream is read as joblib reads it (inline arrays) or as plain `pickle.load`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Joblib,
    /// The main reading of a stream joblib hands to a plain `pickle.load`: the nested pickle of
    /// an object array, where a wrapper's BUILD reads no inline array.
    Plain,
    /// A side machine: plain loader, never mutates shared objects.
    Side,
}

/// Runs one pickle (to its STOP) from `source`.
pub(crate) fn run(source: &mut Source<'_>, collector: &mut Collector, limits: &Limits) -> End {
    let mut machine = Machine {
        source,
        collector,
        limits,
        mode: Mode::Joblib,
        stack: Vec::new(),
        hidden: 0,
        marks: Vec::new(),
        memo: Memo {
            own: Table::default(),
            parent: None,
        },
        frame_end: None,
        cells: 0,
        depth: 0,
        opcodes: 0,
    };
    machine.run()
}

/// Whether `bytes` start a stream that calls an importable global before it ends or breaks: a
/// loader would run that call, so the bytes are a pickle whatever else follows (a protocol 0
/// payload in front of junk, operands before any PROTO).
pub(crate) fn calls_a_global(bytes: &[u8]) -> bool {
    let limits = Limits {
        opcodes: 100_000,
        ..Limits::default()
    };
    let mut source = Source::new(super::source::Inner::Slice(bytes), u64::MAX);
    let mut collector = Collector::default();
    let mut machine = Machine {
        source: &mut source,
        collector: &mut collector,
        limits: &limits,
        mode: Mode::Side,
        stack: Vec::new(),
        hidden: 0,
        marks: Vec::new(),
        memo: Memo {
            own: Table::default(),
            parent: None,
        },
        frame_end: None,
        cells: 0,
        depth: 0,
        opcodes: 0,
    };
    let _ = machine.run();
    collector.globals.iter().any(|g| g.invoked)
}

/// Whether a stream (read to its end, within limits) is a pickle: it calls an importable
/// global, or completes with STOP after a few opcodes.
pub(crate) fn stream_is_pickle(reader: Box<dyn std::io::Read + '_>) -> bool {
    let limits = Limits {
        opcodes: 10_000_000,
        ..Limits::default()
    };
    let mut source = Source::new(super::source::Inner::Reader(reader), u64::MAX);
    let mut collector = Collector::default();
    let mut machine = Machine {
        source: &mut source,
        collector: &mut collector,
        limits: &limits,
        mode: Mode::Side,
        stack: Vec::new(),
        hidden: 0,
        marks: Vec::new(),
        memo: Memo {
            own: Table::default(),
            parent: None,
        },
        frame_end: None,
        cells: 0,
        depth: 0,
        opcodes: 0,
    };
    let end = machine.run();
    let opcodes = machine.opcodes;
    collector.globals.iter().any(|g| g.invoked) || (matches!(end, End::Stop(_)) && opcodes >= 3)
}

struct Machine<'s, 'a, 'c, 'p> {
    source: &'s mut Source<'a>,
    collector: &'c mut Collector,
    limits: &'c Limits,
    mode: Mode,
    stack: Vec<Value>,
    /// Stack items below `stack` a side machine does not carry (read as opaque values).
    hidden: usize,
    marks: Vec<usize>,
    memo: Memo<'p>,
    frame_end: Option<u64>,
    cells: usize,
    depth: u8,
    opcodes: u64,
}

enum Step {
    Continue,
    Done(End),
}

fn bad(offset: u64, problem: impl Into<String>) -> Step {
    Step::Done(End::Malformed {
        offset,
        problem: problem.into(),
    })
}

impl Machine<'_, '_, '_, '_> {
    fn len(&self) -> usize {
        self.hidden + self.stack.len()
    }

    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn run(&mut self) -> End {
        loop {
            self.opcodes += 1;
            if self.opcodes > self.limits.opcodes {
                return End::Limit {
                    offset: self.source.offset(),
                    what: Limit::Opcodes,
                };
            }
            match self.step() {
                Ok(Step::Continue) => {}
                Ok(Step::Done(end)) => return end,
                Err(SourceError::Io(error)) => return End::Io(error.to_string()),
                Err(SourceError::Budget) => {
                    return End::Limit {
                        offset: self.source.offset(),
                        what: Limit::Decompressed,
                    };
                }
            }
        }
    }

    fn truncated(&self) -> Step {
        bad(
            self.source.offset(),
            "the stream ends before STOP (truncated)",
        )
    }

    fn push(&mut self, value: Value) -> Option<Step> {
        if self.len() >= self.limits.stack {
            return Some(Step::Done(End::Limit {
                offset: self.source.offset(),
                what: Limit::Stack,
            }));
        }
        self.stack.push(value);
        None
    }

    fn pop(&mut self) -> Option<Value> {
        if self.len() <= self.fence() {
            return None;
        }
        match self.stack.pop() {
            Some(value) => Some(value),
            None => {
                self.hidden -= 1;
                Some(Value::Other)
            }
        }
    }

    fn top(&self) -> Option<Value> {
        if self.len() <= self.fence() {
            return None;
        }
        Some(self.stack.last().cloned().unwrap_or(Value::Other))
    }

    /// Pops everything above the last mark (and the mark).
    fn pop_mark(&mut self) -> Option<Vec<Value>> {
        let mark = self.marks.pop()?;
        let keep = mark.saturating_sub(self.hidden);
        let items = self.stack.split_off(keep.min(self.stack.len()));
        self.hidden = self.hidden.min(mark);
        Some(items)
    }

    fn cells_for(&mut self, n: usize) -> bool {
        self.cells = self.cells.saturating_add(n);
        self.cells <= self.limits.cells
    }

    fn tuple(&mut self, items: Vec<Value>) -> Value {
        if items.len() <= 64 && self.cells_for(items.len()) {
            Value::Tuple(items.into())
        } else {
            Value::Other
        }
    }

    fn text(bytes: &[u8], complete: bool) -> Value {
        if !complete {
            return Value::Other;
        }
        Value::Str(String::from_utf8_lossy(bytes).into())
    }

    fn step(&mut self) -> Result<Step, SourceError> {
        let at = self.source.offset();
        if let Some(end) = self.frame_end
            && at >= end
        {
            self.frame_end = None;
        }
        // Plain-loader probes: one at `at` lies on this reading's opcode grid; one behind it was
        // inside a long line and cannot be replayed; ones just ahead may fall inside this opcode.
        let mut ahead: Option<(Vec<u8>, Vec<u64>)> = None;
        if self.mode != Mode::Side && !self.collector.probes.is_empty() {
            while self.collector.take_probe(at, at + 1).is_some() {}
            if self.collector.take_probe(0, at).is_some() {
                return Ok(bad(
                    at,
                    "a plain unpickler would resume inside a long argument here (loaders disagree)",
                ));
            }
            let mut near = Vec::new();
            while let Some(p) = self.collector.take_probe(at + 1, at + PROBE_WINDOW) {
                near.push(p);
            }
            if !near.is_empty() {
                let bytes = self.source.peek(2 * PROBE_WINDOW as usize)?.to_vec();
                ahead = Some((bytes, near));
            }
        }
        let Some(code) = self.source.byte()? else {
            return Ok(self.truncated());
        };
        let Some(op) = opcode(code) else {
            return Ok(bad(at, format!("invalid opcode 0x{code:02x}")));
        };
        // Arguments.
        let mut lines: [Option<(Vec<u8>, bool)>; 2] = [None, None];
        let mut fixed_buf = [0u8; 8];
        let mut fixed_len = 0usize;
        let mut counted: Option<(Vec<u8>, bool)> = None;
        match op.arg {
            Arg::None => {}
            Arg::Fixed(n) => match self.source.small(usize::from(n))? {
                Some(bytes) => {
                    fixed_buf = bytes;
                    fixed_len = usize::from(n).min(8);
                }
                None => return Ok(self.truncated()),
            },
            Arg::Line | Arg::TwoLines => {
                let count = if op.arg == Arg::Line { 1 } else { 2 };
                for slot in lines.iter_mut().take(count) {
                    let (line, found) = self.source.line(KEEP_TEXT + 1)?;
                    if !found {
                        return Ok(self.truncated());
                    }
                    let complete = line.len() <= KEEP_TEXT;
                    *slot = Some((line, complete));
                }
            }
            Arg::Counted(width) => {
                let Some(raw) = self.source.small(usize::from(width))? else {
                    return Ok(self.truncated());
                };
                let mut len: u64 = 0;
                for (i, byte) in raw.iter().take(usize::from(width)).enumerate() {
                    len |= u64::from(*byte) << (8 * i);
                }
                let signed = matches!(code, b'T' | 0x8b);
                if (signed && width == 4 && len >= 1 << 31) || len >= 1 << 63 {
                    return Ok(bad(
                        at,
                        format!("{} has a negative or huge length", op.name),
                    ));
                }
                let content = self.source.offset();
                if len > KEEP_TEXT as u64 && self.mode != Mode::Side {
                    if !self.skip_probed(len)? {
                        return Ok(self.truncated());
                    }
                    counted = Some((Vec::new(), false));
                } else {
                    match self.source.counted(len, KEEP_TEXT)? {
                        Some(bytes) => counted = Some((bytes, len <= KEEP_TEXT as u64)),
                        None => {
                            if self.mode == Mode::Side {
                                self.collector.add_probe(content.saturating_add(len));
                            }
                            return Ok(self.truncated());
                        }
                    }
                }
            }
        }
        let end = self.source.offset();
        if let Some((bytes, near)) = ahead {
            for p in near {
                if p < end {
                    let from = usize::try_from(p - at).unwrap_or(usize::MAX);
                    if let Some(rest) = bytes.get(from..) {
                        self.side_at(p, rest);
                    }
                } else {
                    self.collector.add_probe(p);
                }
            }
        }
        if let Some(frame_end) = self.frame_end
            && end > frame_end
        {
            return Ok(bad(
                at,
                format!(
                    "{} crosses the end of its FRAME (CPython loaders disagree on such streams)",
                    op.name
                ),
            ));
        }
        Ok(self.execute(code, at, &fixed_buf[..fixed_len], lines, counted))
    }

    fn execute(
        &mut self,
        code: u8,
        at: u64,
        fixed: &[u8],
        lines: [Option<(Vec<u8>, bool)>; 2],
        counted: Option<(Vec<u8>, bool)>,
    ) -> Step {
        let underflow = || bad(at, "stack underflow");
        let [line0, line1] = lines;
        let line = line0.clone().unwrap_or_default();
        macro_rules! push {
            ($v:expr) => {{
                let value = $v;
                if let Some(step) = self.push(value) {
                    return step;
                }
            }};
        }
        macro_rules! pop {
            () => {
                match self.pop() {
                    Some(v) => v,
                    None => return underflow(),
                }
            };
        }
        match code {
            b'(' => {
                if self.marks.len() >= self.limits.stack {
                    return Step::Done(End::Limit {
                        offset: at,
                        what: Limit::Marks,
                    });
                }
                self.marks.push(self.len());
            }
            b'.' => {
                let value = pop!();
                // The C unpickler reads a whole frame before running it; one that claims bytes
                // past its STOP makes loaders disagree about where the next pickle starts.
                if self.frame_end.is_some_and(|end| end > self.source.offset()) {
                    return bad(at, "a FRAME extends past the STOP that ends the pickle");
                }
                return Step::Done(End::Stop(value));
            }
            b'0' => {
                // CPython pops a mark sitting on top of the stack before it pops an item.
                if self.marks.last() == Some(&self.len()) && !self.marks.is_empty() {
                    self.marks.pop();
                } else {
                    pop!();
                }
            }
            b'1' => {
                if self.pop_mark().is_none() {
                    return bad(at, "POP_MARK without a mark");
                }
            }
            b'2' => {
                let Some(top) = self.top() else {
                    return underflow();
                };
                push!(top);
            }
            b'F' | b'G' => push!(Value::Other),
            b'I' => push!(match line.0.as_slice() {
                b"00" => Value::Bool(false),
                b"01" => Value::Bool(true),
                text => match parse_int(text) {
                    Some(n) => Value::Int(n),
                    None if looks_numeric(text) => Value::Other,
                    None => return bad(at, "INT argument is not a number"),
                },
            }),
            b'L' => {
                let text = line.0.strip_suffix(b"L").unwrap_or(&line.0);
                push!(match parse_int(text) {
                    Some(n) => Value::Int(n),
                    None if looks_numeric(text) => Value::Other,
                    None => return bad(at, "LONG argument is not a number"),
                })
            }
            b'J' => push!(Value::Int(i64::from(i32::from_le_bytes(le4(fixed))))),
            b'K' => push!(Value::Int(i64::from(fixed.first().copied().unwrap_or(0)))),
            b'M' => push!(Value::Int(i64::from(u16::from_le_bytes([
                fixed.first().copied().unwrap_or(0),
                fixed.get(1).copied().unwrap_or(0),
            ])))),
            0x8a | 0x8b => {
                let (bytes, complete) = counted.unwrap_or_default();
                push!(if complete && bytes.len() <= 8 {
                    Value::Int(long_le(&bytes))
                } else {
                    Value::Other
                })
            }
            b'N' => push!(Value::None),
            0x88 => push!(Value::Bool(true)),
            0x89 => push!(Value::Bool(false)),
            b'P' => push!(Value::Other),
            b'Q' => {
                let pid = pop!();
                self.note_persistent_id(&pid);
                push!(Value::Other)
            }
            b'R' => {
                let args = pop!();
                let callable = pop!();
                push!(self.call(callable, args))
            }
            b'S' => {
                let (text, complete) = line0.unwrap_or_default();
                let text = trim_right(&text);
                let quoted = text.len() >= 2
                    && text.first() == text.last()
                    && matches!(text.first(), Some(b'\'' | b'"'));
                if !quoted {
                    return bad(at, "STRING argument is not quoted");
                }
                let inner = &text[1..text.len() - 1];
                push!(match escape_decode(inner) {
                    Some(bytes) => Self::text(&bytes, complete),
                    None => return bad(at, "STRING argument has an invalid escape"),
                })
            }
            b'T' | b'U' => {
                let (bytes, complete) = counted.unwrap_or_default();
                push!(Self::text(&bytes, complete))
            }
            0x8c | b'X' | 0x8d => {
                let (bytes, complete) = counted.unwrap_or_default();
                if complete && std::str::from_utf8(&bytes).is_err() {
                    return bad(at, "a unicode string is not UTF-8");
                }
                push!(Self::text(&bytes, complete))
            }
            b'V' => {
                let (text, complete) = line0.unwrap_or_default();
                push!(if complete {
                    Value::Str(raw_unicode_escape(&text).into())
                } else {
                    Value::Other
                })
            }
            b'B' | b'C' | 0x8e | 0x96 => push!(Value::Bytes),
            b'a' => {
                let _item = pop!();
                let Some(target) = self.top() else {
                    return underflow();
                };
                self.collector.invoke(&target);
            }
            b'e' | 0x90 => {
                let Some(items) = self.pop_mark() else {
                    return bad(at, "no mark");
                };
                let Some(target) = self.top() else {
                    return underflow();
                };
                drop(items);
                self.collector.invoke(&target);
            }
            b'b' => return self.build(at),
            b'c' | b'i' => {
                let (module, m_ok) = line0.unwrap_or_default();
                let (name, n_ok) = line1.unwrap_or_default();
                let (Ok(module), Ok(name)) = (String::from_utf8(module), String::from_utf8(name))
                else {
                    return bad(at, "a global's name is not UTF-8");
                };
                let module = m_ok.then_some(module);
                let name = n_ok.then_some(name);
                if self.mode == Mode::Side
                    && !(importable(module.as_deref()) && importable(name.as_deref()))
                {
                    return bad(at, "not an importable name");
                }
                let side = self.mode == Mode::Side;
                let global = Value::Global(self.collector.intern(module, name, at, side));
                if code == b'c' {
                    push!(global)
                } else {
                    let Some(args) = self.pop_mark() else {
                        return bad(at, "INST without a mark");
                    };
                    let args = self.tuple(args);
                    push!(self.call(global, args))
                }
            }
            0x93 => {
                let name = pop!();
                let module = pop!();
                let as_text = |v: &Value| match v {
                    Value::Str(s) => Some(s.to_string()),
                    _ => None,
                };
                let (module, name) = (as_text(&module), as_text(&name));
                if self.mode == Mode::Side
                    && !(importable(module.as_deref()) && importable(name.as_deref()))
                {
                    return bad(at, "not an importable name");
                }
                let global = self
                    .collector
                    .intern(module, name, at, self.mode == Mode::Side);
                push!(Value::Global(global))
            }
            0x82..=0x84 => {
                let mut code = 0u32;
                for (i, byte) in fixed.iter().enumerate() {
                    code |= u32::from(*byte) << (8 * i);
                }
                if code == 0 {
                    return bad(at, "extension code 0");
                }
                let global = self.collector.intern(
                    None,
                    Some(format!("<extension code {code}>")),
                    at,
                    self.mode == Mode::Side,
                );
                push!(Value::Global(global))
            }
            b'd' => {
                let Some(items) = self.pop_mark() else {
                    return bad(at, "DICT without a mark");
                };
                if items.len() % 2 != 0 {
                    return bad(at, "odd number of items for DICT");
                }
                push!(self.dict(items))
            }
            b'}' => push!(self.dict(Vec::new())),
            b']' | 0x8f => push!(Value::Other),
            b')' => push!(Value::Tuple(Rc::from(Vec::new()))),
            b'l' | 0x91 => {
                if self.pop_mark().is_none() {
                    return bad(at, "no mark");
                }
                push!(Value::Other)
            }
            b't' => {
                let Some(items) = self.pop_mark() else {
                    return bad(at, "TUPLE without a mark");
                };
                push!(self.tuple(items))
            }
            0x85..=0x87 => {
                let n = usize::from(code - 0x84);
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(pop!());
                }
                items.reverse();
                push!(self.tuple(items))
            }
            b'g' | b'h' | b'j' => {
                let key = match code {
                    b'g' => match parse_int(&line.0) {
                        Some(n) if n >= 0 => n as u64,
                        _ => return bad(at, "GET argument is not an index"),
                    },
                    b'h' => u64::from(fixed.first().copied().unwrap_or(0)),
                    _ => u64::from(u32::from_le_bytes(le4(fixed))),
                };
                let Some(value) = self.memo.get(key).cloned() else {
                    return bad(at, format!("memo key {key} was never stored"));
                };
                push!(value)
            }
            b'p' | b'q' | b'r' | 0x94 => {
                let key = match code {
                    b'p' => match parse_int(&line.0) {
                        Some(n) if n >= 0 => n as u64,
                        _ => return bad(at, "PUT argument is not an index"),
                    },
                    b'q' => u64::from(fixed.first().copied().unwrap_or(0)),
                    b'r' => u64::from(u32::from_le_bytes(le4(fixed))),
                    _ => self.memo.len() as u64,
                };
                let Some(value) = self.top() else {
                    return underflow();
                };
                if self.memo.len() >= self.limits.memo {
                    return Step::Done(End::Limit {
                        offset: at,
                        what: Limit::Memo,
                    });
                }
                self.memo.own.insert(key, value);
            }
            b'o' => {
                let Some(mut items) = self.pop_mark() else {
                    return bad(at, "OBJ without a mark");
                };
                if items.is_empty() {
                    return underflow();
                }
                let class = items.remove(0);
                let args = self.tuple(items);
                push!(self.call(class, args))
            }
            b's' => {
                let value = pop!();
                let key = pop!();
                let Some(target) = self.top() else {
                    return underflow();
                };
                self.set_items(&target, vec![key, value]);
            }
            b'u' => {
                let Some(items) = self.pop_mark() else {
                    return bad(at, "SETITEMS without a mark");
                };
                let Some(target) = self.top() else {
                    return underflow();
                };
                if items.len() % 2 != 0 {
                    return bad(at, "odd number of items for SETITEMS");
                }
                self.set_items(&target, items);
            }
            0x80 => {
                if fixed.first().is_none_or(|p| *p > 5) {
                    return bad(at, "unsupported pickle protocol");
                }
            }
            0x81 => {
                let args = pop!();
                let class = pop!();
                push!(self.call(class, args))
            }
            0x92 => {
                let _kwargs = pop!();
                let args = pop!();
                let class = pop!();
                push!(self.call(class, args))
            }
            0x95 => {
                if self.frame_end.is_some_and(|end| at < end) {
                    return bad(at, "a new FRAME starts before the current one ends");
                }
                let len = u64::from_le_bytes(le8(fixed));
                if len >= 1 << 63 {
                    return bad(at, "FRAME length exceeds what any loader accepts");
                }
                self.frame_end = Some(self.source.offset().saturating_add(len));
            }
            0x97 => push!(Value::Other),
            0x98 => {
                if self.top().is_none() {
                    return underflow();
                }
            }
            _ => return bad(at, format!("invalid opcode 0x{code:02x}")),
        }
        Step::Continue
    }

    fn dict(&mut self, items: Vec<Value>) -> Value {
        let mut pairs = Vec::new();
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            pairs.push((k, v));
        }
        if pairs.len() <= 64 && self.cells_for(pairs.len()) {
            Value::Dict(Rc::new(RefCell::new(pairs)))
        } else {
            Value::Other
        }
    }

    fn set_items(&mut self, target: &Value, items: Vec<Value>) {
        match target {
            Value::Dict(dict) if self.mode != Mode::Side => {
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    if dict.borrow().len() < 64 && self.cells_for(1) {
                        dict.borrow_mut().push((k, v));
                    }
                }
            }
            other => self.collector.invoke(other),
        }
    }

    fn call(&mut self, callable: Value, args: Value) -> Value {
        self.collector.invoke(&callable);
        if self.cells_for(2) {
            Value::Object(Rc::new(RefCell::new(Object {
                class: callable,
                args,
                state: Value::None,
            })))
        } else {
            Value::Other
        }
    }

    fn note_persistent_id(&mut self, pid: &Value) {
        if let Value::Tuple(items) = pid
            && let (Some(Value::Str(kind)), Some(Value::Str(key))) = (items.first(), items.get(2))
            && &**kind == "storage"
            && self.collector.storage_keys.len() < 10_000_000
        {
            self.collector.storage_keys.push(key.to_string());
        }
    }

    fn build(&mut self, at: u64) -> Step {
        let Some(state) = self.pop() else {
            return bad(at, "stack underflow");
        };
        let Some(target) = self.top() else {
            return bad(at, "stack underflow");
        };
        match &target {
            Value::Object(object) => {
                if self.mode != Mode::Side {
                    object.borrow_mut().state = state;
                }
            }
            other => self.collector.invoke(other),
        }
        if self.mode == Mode::Joblib
            && let Value::Object(object) = &target
            && self.may_be_array_wrapper(&object.borrow())
        {
            let state = object.borrow().state.clone();
            return self.inline_array(at, &state);
        }
        Step::Continue
    }

    /// Whether joblib's `isinstance(obj, NumpyArrayWrapper)` may hold: the class is a wrapper, or
    /// a wrapper (or an attribute of one) is what the constructor was handed — as with
    /// `copyreg._reconstructor(NumpyArrayWrapper, object, None)` or `__newobj__`. When in doubt
    /// the wrapper reading is taken; the side machine reads the same bytes as opcodes.
    fn may_be_array_wrapper(&self, object: &Object) -> bool {
        let is_wrapper = |value: &Value| {
            self.collector.full_name(value).is_some_and(|name| {
                JOBLIB_WRAPPERS.iter().any(|wrapper| {
                    name.strip_prefix(wrapper)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
                })
            })
        };
        is_wrapper(&object.class)
            || matches!(&object.args, Value::Tuple(args) if args.iter().any(is_wrapper))
    }

    /// joblib's `NumpyArrayWrapper.read`: an aligned raw buffer, or a nested pickle for object
    /// arrays, right here in the stream. A side machine first reads the same bytes as opcodes.
    fn inline_array(&mut self, at: u64, state: &Value) -> Step {
        if let Some(step) = self.side_run() {
            return step;
        }
        let Some(array) = ArraySpec::from_state(state) else {
            return bad(
                at,
                "cannot tell the size of an inline joblib array (unknown dtype or shape)",
            );
        };
        let _ = self.pop();
        if array.has_object {
            if self.depth >= self.limits.depth {
                return Step::Done(End::Limit {
                    offset: at,
                    what: Limit::Depth,
                });
            }
            // joblib unpickles an object array with a plain `pickle.load`: no inline arrays.
            let mut nested = Machine {
                source: &mut *self.source,
                collector: &mut *self.collector,
                limits: self.limits,
                mode: Mode::Plain,
                stack: Vec::new(),
                hidden: 0,
                marks: Vec::new(),
                memo: Memo {
                    own: Table::default(),
                    parent: None,
                },
                frame_end: None,
                cells: self.cells,
                depth: self.depth + 1,
                opcodes: 0,
            };
            match nested.run() {
                End::Stop(_) => {}
                other => return Step::Done(other),
            }
        } else {
            let result = (|| -> Result<bool, SourceError> {
                if array.aligned {
                    let Some(pad) = self.source.byte()? else {
                        return Ok(false);
                    };
                    if !self.skip_probed(u64::from(pad))? {
                        return Ok(false);
                    }
                }
                self.skip_probed(array.bytes)
            })();
            match result {
                Ok(true) => {}
                Ok(false) => return self.truncated(),
                Err(SourceError::Budget) => {
                    return Step::Done(End::Limit {
                        offset: at,
                        what: Limit::Decompressed,
                    });
                }
                Err(SourceError::Io(e)) => return Step::Done(End::Io(e.to_string())),
            }
        }
        if let Some(step) = self.push(Value::Other) {
            return step;
        }
        Step::Continue
    }

    /// Skips `n` bytes this reading treats as data, stopping at every plain-loader probe
    /// inside them to read from there as that loader would.
    fn skip_probed(&mut self, mut n: u64) -> Result<bool, SourceError> {
        loop {
            let here = self.source.offset();
            let Some(p) = self.collector.take_probe(here, here.saturating_add(n)) else {
                return self.source.skip(n);
            };
            if !self.source.skip(p - here)? {
                return Ok(false);
            }
            n -= p - here;
            let bytes = self.source.peek(PROBE_WINDOW as usize)?.to_vec();
            self.side_at(p, &bytes);
        }
    }

    /// A plain-loader reading from `offset` over `bytes`, in an unknown context.
    fn side_at(&mut self, offset: u64, bytes: &[u8]) {
        let mut side_source = Source::at(super::source::Inner::Slice(bytes), u64::MAX, offset);
        let mut side = Machine {
            source: &mut side_source,
            collector: &mut *self.collector,
            limits: self.limits,
            mode: Mode::Side,
            stack: Vec::new(),
            hidden: 1024,
            marks: Vec::new(),
            memo: Memo {
                own: Table::default(),
                parent: Some(&self.memo.own),
            },
            frame_end: None,
            cells: self.cells,
            depth: self.depth,
            opcodes: 0,
        };
        let _ = side.run();
    }

    /// Reads the upcoming bytes the way plain `pickle.load` would (it does not know joblib's
    /// inline arrays). Globals it meets are recorded; if it is still parsing after the whole
    /// look-ahead, the stream is ambiguous and reported.
    fn side_run(&mut self) -> Option<Step> {
        let start = self.source.offset();
        // Almost every side reading dies within a few bytes; widen the window only if needed.
        let mut window = 4096.min(self.limits.lookahead);
        loop {
            let ahead = match self.source.peek(window) {
                Ok(bytes) => bytes.to_vec(),
                Err(SourceError::Budget) => {
                    return Some(Step::Done(End::Limit {
                        offset: start,
                        what: Limit::Decompressed,
                    }));
                }
                Err(SourceError::Io(e)) => return Some(Step::Done(End::Io(e.to_string()))),
            };
            let whole_rest = ahead.len() < window;
            let mut side_source = Source::at(super::source::Inner::Slice(&ahead), u64::MAX, start);
            const SIDE_STACK: usize = 4096;
            let skip = self.stack.len().saturating_sub(SIDE_STACK);
            let mut side = Machine {
                source: &mut side_source,
                collector: &mut *self.collector,
                limits: self.limits,
                mode: Mode::Side,
                stack: self.stack[skip..].to_vec(),
                hidden: self.hidden + skip,
                marks: self.marks.clone(),
                memo: Memo {
                    own: Table::default(),
                    parent: Some(&self.memo.own),
                },
                frame_end: None,
                cells: self.cells,
                depth: self.depth,
                opcodes: 0,
            };
            let ended = side.run();
            let busy = side.opcodes >= 16;
            let ran_out = matches!(ended, End::Malformed { offset, .. }
                if !whole_rest && offset >= start + ahead.len() as u64);
            if !ran_out {
                return None;
            }
            if window < self.limits.lookahead {
                window = self.limits.lookahead;
                continue;
            }
            return busy.then(|| {
                bad(
                    start,
                    "the bytes of an inline joblib array also parse as pickle opcodes (loaders disagree)",
                )
            });
        }
    }
}

/// What joblib needs to skip an inline array.
struct ArraySpec {
    has_object: bool,
    aligned: bool,
    bytes: u64,
}

impl ArraySpec {
    fn from_state(state: &Value) -> Option<Self> {
        let Value::Dict(pairs) = state else {
            return None;
        };
        let pairs = pairs.borrow();
        let field = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| matches!(k, Value::Str(s) if &**s == name))
                .map(|(_, v)| v.clone())
        };
        let Value::Tuple(shape) = field("shape")? else {
            return None;
        };
        let mut count: u64 = 1;
        for dim in shape.iter() {
            let Value::Int(n) = dim else { return None };
            count = count.checked_mul(u64::try_from(*n).ok()?)?;
        }
        let Value::Object(dtype) = field("dtype")? else {
            return None;
        };
        let dtype = dtype.borrow();
        let Value::Tuple(args) = &dtype.args else {
            return None;
        };
        let Some(Value::Str(descr)) = args.first() else {
            return None;
        };
        let (kind, size) = descr.split_at(descr.char_indices().nth(1)?.0);
        let state_field = |index: usize| match &dtype.state {
            Value::Tuple(state) => match state.get(index) {
                Some(Value::Int(n)) => Some(*n),
                _ => None,
            },
            _ => None,
        };
        // numpy's `dtype.__setstate__` gives flexible types (S, U, V) the element size in the
        // state (index 5, in bytes), whatever size the constructor was handed.
        let state_elsize = state_field(5)
            .filter(|n| *n > 0)
            .and_then(|n| u64::try_from(n).ok())
            .filter(|_| matches!(kind, "S" | "a" | "U" | "V"));
        let size: Option<u64> = if size.is_empty() {
            match kind {
                "O" => Some(8),
                _ => None,
            }
        } else {
            Some(size.parse().ok()?)
        };
        let flags = state_field(7);
        let (itemsize, has_object) = match kind {
            "b" | "i" | "u" | "f" | "c" | "M" | "m" => (size?, false),
            "S" | "a" => (state_elsize.or(size)?, false),
            "U" => (state_elsize.or(size.and_then(|n| n.checked_mul(4)))?, false),
            "O" => (size?, true),
            "V" => (state_elsize.or(size)?, flags? & 1 != 0),
            _ => return None,
        };
        let aligned = matches!(field("numpy_array_alignment_bytes"), Some(v) if v != Value::None);
        Some(Self {
            has_object,
            aligned,
            bytes: count.checked_mul(itemsize)?,
        })
    }
}

/// A dotted Python identifier (what `find_class` could import).
fn importable(text: Option<&str>) -> bool {
    text.is_some_and(|text| {
        !text.is_empty()
            && text.split('.').all(|part| {
                let mut chars = part.chars();
                chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
                    && chars.all(|c| c == '_' || c.is_alphanumeric())
            })
    })
}

fn le4(bytes: &[u8]) -> [u8; 4] {
    let mut out = [0u8; 4];
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = *b;
    }
    out
}

fn le8(bytes: &[u8]) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = *b;
    }
    out
}

/// Two's-complement little-endian (LONG1/LONG4), at most 8 bytes.
fn long_le(bytes: &[u8]) -> i64 {
    if bytes.is_empty() {
        return 0;
    }
    let mut raw = [0u8; 8];
    let fill = if bytes.last().is_some_and(|b| b & 0x80 != 0) {
        0xff
    } else {
        0
    };
    raw.fill(fill);
    for (o, b) in raw.iter_mut().zip(bytes) {
        *o = *b;
    }
    i64::from_le_bytes(raw)
}

fn trim_right(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &bytes[..end]
}

/// Python's `int()` on ASCII: whitespace, a sign, digits with single underscores between.
fn parse_int(text: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(text).ok()?.trim();
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let mut value: i64 = 0;
    for c in digits.chars().filter(|c| *c != '_') {
        let d = i64::from(c.to_digit(10)? as u8);
        value = value.checked_mul(10)?.checked_add(d)?;
    }
    Some(if negative { -value } else { value })
}

fn looks_numeric(text: &[u8]) -> bool {
    let text = trim_right(text);
    !text.is_empty()
        && text
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'_' | b' '))
}

/// `codecs.escape_decode`, as the STRING opcode uses it. `None` for an invalid `\x` escape.
pub(crate) fn escape_decode(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        i += 1;
        let &c = bytes.get(i)?;
        i += 1;
        match c {
            b'\n' => {}
            b'\\' => out.push(b'\\'),
            b'\'' => out.push(b'\''),
            b'"' => out.push(b'"'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut value = u32::from(c - b'0');
                for _ in 0..2 {
                    match bytes.get(i) {
                        Some(d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push((value & 0xff) as u8);
            }
            b'x' => {
                let hex = bytes.get(i..i + 2)?;
                let text = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(text, 16).ok()?);
                i += 2;
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    Some(out)
}

/// `raw-unicode-escape` decoding (the UNICODE opcode): `\uXXXX` and `\UXXXXXXXX`, else Latin-1.
pub(crate) fn raw_unicode_escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\\' {
            let width = match bytes.get(i + 1) {
                Some(b'u') => 4,
                Some(b'U') => 8,
                _ => 0,
            };
            if width > 0
                && let Some(hex) = bytes.get(i + 2..i + 2 + width)
                && let Ok(text) = std::str::from_utf8(hex)
                && let Ok(code) = u32::from_str_radix(text, 16)
            {
                out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                i += 2 + width;
                continue;
            }
        }
        out.push(char::from(b));
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::source::Inner;
    use super::*;

    fn globals(bytes: &[u8]) -> (Vec<(String, bool)>, End) {
        let mut source = Source::new(Inner::Slice(bytes), u64::MAX);
        let mut collector = Collector::default();
        let end = run(&mut source, &mut collector, &Limits::default());
        let found = collector
            .globals
            .iter()
            .map(|g| {
                (
                    format!(
                        "{}.{}",
                        g.module.as_deref().unwrap_or("?"),
                        g.name.as_deref().unwrap_or("?")
                    ),
                    g.invoked,
                )
            })
            .collect();
        (found, end)
    }

    #[test]
    fn pop_removes_a_mark_on_top_like_cpython() {
        // MARK, POP (removes the mark), then TUPLE would need a mark: malformed.
        let (_, end) = globals(b"\x80\x02N(0t.");
        assert!(matches!(end, End::Malformed { offset: 5, .. }), "{end:?}");
    }

    #[test]
    fn the_stack_fence_stops_pops_below_a_mark() {
        let (_, end) = globals(b"\x80\x02N(.");
        assert!(matches!(end, End::Malformed { offset: 4, .. }), "{end:?}");
        let (_, end) = globals(b"\x80\x02N(R.");
        assert!(matches!(end, End::Malformed { offset: 4, .. }), "{end:?}");
    }

    #[test]
    fn dup_and_memo_keep_the_global_identity() {
        let bytes = b"\x80\x04\x8c\x02os\x8c\x06system\x93\x9420h\x00)R.";
        let (found, end) = globals(bytes);
        assert_eq!(found, [("os.system".to_owned(), true)]);
        assert!(matches!(end, End::Stop(_)), "{end:?}");
    }

    #[test]
    fn referenced_is_not_called() {
        let (found, _) = globals(b"\x80\x02cos\nsystem\n\x85.");
        assert_eq!(found, [("os.system".to_owned(), false)]);
        let (found, _) = globals(b"(cos\nsystem\nN\x85o.");
        assert_eq!(found, [("os.system".to_owned(), true)]);
        let (found, _) = globals(b"(S'x'\nios\nsystem\n.");
        assert_eq!(found, [("os.system".to_owned(), true)]);
    }

    #[test]
    fn unicode_and_string_escapes_decode_like_cpython() {
        assert_eq!(raw_unicode_escape(b"o\\u0073"), "os");
        assert_eq!(escape_decode(b"\\x6f\\163\\n"), Some(b"os\n".to_vec()));
        assert_eq!(escape_decode(b"\\xZZ"), None);
        assert_eq!(parse_int(b" 1_000 "), Some(1000));
        assert_eq!(parse_int(b"1__0"), None);
    }

    #[test]
    fn a_plain_loader_resuming_past_the_look_ahead_is_followed() {
        let bytes = include_bytes!(
            "../../tests/fixtures/pickles/malicious/joblib-plain-loader-skip.joblib"
        );
        let payload = bytes
            .windows(14)
            .position(|w| w == b"cposix\nsystem\n")
            .map(|at| at as u64);
        // A look-ahead smaller than the skip: only the probe left by the side reading finds it.
        let limits = Limits {
            lookahead: 4096,
            ..Limits::default()
        };
        let mut source = Source::new(Inner::Slice(bytes), u64::MAX);
        let mut collector = Collector::default();
        let end = run(&mut source, &mut collector, &limits);
        assert!(matches!(end, End::Stop(_)), "{end:?}");
        let found = collector
            .globals
            .iter()
            .find(|g| g.module.as_deref() == Some("posix"))
            .map(|g| (g.offset, g.invoked, g.plain_loader_only));
        assert_eq!(found, payload.map(|at| (at, true, true)));
    }

    #[test]
    fn frames_are_enforced() {
        // FRAME of 3 bytes holding "N." fully, then STOP: clean.
        let (_, end) = globals(b"\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00N.");
        assert!(matches!(end, End::Stop(_)), "{end:?}");
        // A FRAME claiming more than its pickle.
        let (_, end) = globals(b"\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00N.");
        assert!(matches!(end, End::Malformed { .. }), "{end:?}");
    }
}
