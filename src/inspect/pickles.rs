//! Every container that carries a pickle, read the way its loader reads it: raw and compressed
//! pickles and joblib files, PyTorch and TorchScript zips (every member that is a pickle by
//! content; tensor storages never read), legacy stacked-pickle and tar checkpoints, `.npy`
//! object arrays and `.npz`, zips inside zips. What cannot be opened completely becomes a fact
//! (`ArchiveUnreadable`, `ArchiveLimit`), never a silent skip.
//!
//! Choices where loaders differ: a raw pickle file is read as stacked pickles to its end, and
//! bytes after the last STOP that are not a pickle are malformed (some loaders read on); a
//! legacy checkpoint is exactly five pickles (magic, protocol, sys_info, object, storage keys)
//! followed by raw storages, as `torch.load` reads it; in a zip, the storages a pickle's
//! persistent ids name (`<dir>/data/<key>`, TorchScript `constants/<key>`) are never opened
//! (torch reads them as raw bytes) and every other member is judged by content; deflated
//! members stream, except nested archives, which are inflated in memory up to 256 MiB.

use super::Fact;
use super::zip::{self, Blob, Entry};
use crate::format::Format;
use crate::identify::{self, Identity};
use crate::pickle::machine::{Limit, Limits, Value};
use crate::pickle::source::{Inner, Source};
use crate::pickle::{self, Ending, StreamReport};
use std::collections::HashSet;
use std::fs::File;
use std::io::Read;

/// A deflated nested archive is inflated in memory up to this size.
const MAX_NESTED_IN_MEMORY: u64 = 256 * 1024 * 1024;
/// How much of a member is read to tell what it is.
const SNIFF: usize = 64 * 1024;

/// The policy's container limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ContainerLimits {
    pub(crate) max_members: u64,
    pub(crate) max_uncompressed: u64,
    /// The time budget of one file, in seconds.
    pub(crate) max_seconds: u64,
    /// The pickle machine's limits; `depth` also bounds archives inside archives.
    pub(crate) pickle: Limits,
}

impl ContainerLimits {
    /// The built-in default policy's limits.
    pub(crate) const DEFAULT: Self = Self {
        max_members: 10_000,
        max_uncompressed: 64 * 1024 * 1024 * 1024,
        max_seconds: 120,
        pickle: Limits::DEFAULT,
    };

    /// "what (`models.KEY`: value)": a limit as reports name it, with the policy key that sets it.
    fn describe(&self, what: Limit) -> String {
        let (key, value) = match what {
            Limit::Opcodes => ("max-pickle-opcodes", self.pickle.opcodes),
            Limit::Stack | Limit::Marks => ("max-pickle-stack", self.pickle.stack as u64),
            Limit::Memo => ("max-pickle-memo", self.pickle.memo as u64),
            Limit::Depth => ("max-nesting-depth", u64::from(self.pickle.depth)),
            Limit::Decompressed => ("max-uncompressed-size", self.max_uncompressed),
        };
        format!("{} (`models.{key}`: {value})", what.what())
    }
}

struct Reader<'f> {
    facts: &'f mut Vec<Fact>,
    limits: Limits,
    container: ContainerLimits,
    /// Decompressed bytes still allowed for this file.
    budget: u64,
    members: u64,
}

/// Inspects a file whose format can carry a pickle.
pub(crate) fn inspect(
    file: &File,
    size: u64,
    identity: &Identity,
    container: ContainerLimits,
) -> Vec<Fact> {
    let mut facts = Vec::new();
    let mut reader = Reader {
        facts: &mut facts,
        limits: container.pickle,
        container,
        budget: container.max_uncompressed,
        members: 0,
    };
    let blob = Blob::File {
        file,
        base: 0,
        len: size,
    };
    match (identity.format, identity.detail) {
        (Some(Format::Pickle), _) | (Some(Format::Joblib), None) => {
            reader.stream(&blob, None, None);
        }
        (Some(Format::Joblib), Some(kind)) => reader.compressed(&blob, kind, None),
        (Some(Format::Pytorch), Some("legacy")) => {
            reader.stream(&blob, None, Some(5));
        }
        (Some(Format::Pytorch), Some("tar")) => reader.tar(&blob, None, true, 0),
        (Some(Format::Tar), _) => reader.tar(&blob, None, false, 0),
        (Some(Format::Numpy), Some("npy")) => reader.npy(&blob, None),
        (Some(Format::Pytorch | Format::Torchscript | Format::Numpy | Format::Zip), _) => {
            reader.zip(&blob, "", 0);
        }
        (Some(Format::SevenZip), _) => reader.facts.push(Fact::ArchiveUnreadable {
            member: None,
            problem: "7z archives cannot be opened by this version of gate".to_owned(),
        }),
        _ => {}
    }
    facts
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}!{name}")
    }
}

impl Reader<'_> {
    fn unreadable(&mut self, member: Option<&str>, problem: impl Into<String>) {
        self.facts.push(Fact::ArchiveUnreadable {
            member: member.map(str::to_owned),
            problem: problem.into(),
        });
    }

    fn limit(&mut self, member: Option<&str>, offset: Option<u64>, problem: impl Into<String>) {
        self.facts.push(Fact::ArchiveLimit {
            member: member.map(str::to_owned),
            offset,
            problem: problem.into(),
        });
    }

    /// Counts one member gate opens (tensor storages it never opens do not count); false, with
    /// a limit fact, once there are too many.
    fn count_member(&mut self, at: Option<&str>) -> bool {
        self.members += 1;
        if self.members > self.container.max_members {
            if self.members == self.container.max_members + 1 {
                self.limit(
                    at,
                    None,
                    format!(
                        "more than {} archive members to open (`models.max-archive-members`)",
                        self.container.max_members
                    ),
                );
            }
            return false;
        }
        true
    }

    /// Records what a stream showed: its globals, and how it ended if it ended badly.
    fn record(&mut self, member: Option<&str>, report: StreamReport) {
        for global in report.collector.globals {
            self.facts.push(Fact::PickleGlobal {
                member: member.map(str::to_owned),
                offset: global.offset,
                module: global.module,
                name: global.name,
                invoked: global.invoked,
                plain_loader_only: global.plain_loader_only,
            });
        }
        match report.ending {
            None => {}
            Some(Ending::Malformed { offset, problem }) => self.facts.push(Fact::PickleMalformed {
                member: member.map(str::to_owned),
                offset,
                problem,
            }),
            Some(Ending::Limit { offset, what }) => {
                let limit = self.container.describe(what);
                self.limit(member, Some(offset), format!("limit reached: {limit}"));
            }
            Some(Ending::Io(error)) => self.unreadable(member, error),
        }
    }

    /// Stacked pickles in a blob (`count` of them, or to the end).
    fn stream(
        &mut self,
        blob: &Blob<'_>,
        member: Option<&str>,
        count: Option<usize>,
    ) -> Vec<String> {
        let inner = match *blob {
            Blob::File { file, base, len } => Inner::File {
                file,
                at: base,
                end: base + len,
            },
            Blob::Memory(bytes) => Inner::Slice(bytes),
        };
        let mut source = Source::new(inner, u64::MAX);
        let mut report = pickle::scan_stream(&mut source, &self.limits, count);
        let keys = std::mem::take(&mut report.collector.storage_keys);
        self.record(member, report);
        keys
    }

    /// The decompressed stream the loader unpickles (`pickle::compression`).
    fn decoder<'r>(kind: &str, input: Box<dyn Read + 'r>) -> Option<Box<dyn Read + 'r>> {
        let compression = pickle::compression::Compression::from_name(kind)?;
        Some(pickle::compression::decoder(compression, input))
    }

    /// A compressed pickle (joblib's compressors): decompressed as a stream, never in memory.
    fn compressed(&mut self, blob: &Blob<'_>, kind: &str, member: Option<&str>) {
        let Some(decoder) = Self::decoder(kind, blob.reader()) else {
            self.unreadable(member, format!("unknown compression {kind}"));
            return;
        };
        let mut source = Source::new(Inner::Reader(decoder), self.budget);
        let report = pickle::scan_stream(&mut source, &self.limits, None);
        self.budget = source.budget();
        self.record(member, report);
    }

    /// `.npy`: a header, then (object arrays only) the pickle `numpy.load` would unpickle.
    fn npy(&mut self, blob: &Blob<'_>, member: Option<&str>) {
        let mut head = [0u8; 12];
        let prefix_len = usize::try_from(blob.len().min(12)).unwrap_or(0);
        if blob.read_exact_at(&mut head[..prefix_len], 0).is_err() || prefix_len < 10 {
            self.unreadable(member, "numpy header is truncated");
            return;
        }
        let (header_len, start) = match head[6] {
            1 => (u64::from(u16::from_le_bytes([head[8], head[9]])), 10u64),
            2 | 3 if prefix_len == 12 => (
                u64::from(u32::from_le_bytes([head[8], head[9], head[10], head[11]])),
                12,
            ),
            version => {
                self.unreadable(member, format!("unknown numpy format version {version}"));
                return;
            }
        };
        if header_len > 1 << 20 || start + header_len > blob.len() {
            self.unreadable(member, "numpy header length runs past the end of the file");
            return;
        }
        let mut header = vec![0u8; usize::try_from(header_len).unwrap_or(0)];
        if blob.read_exact_at(&mut header, start).is_err() {
            self.unreadable(member, "numpy header is truncated");
            return;
        }
        let body = start + header_len;
        let has_object = match super::npy_header::has_object(&String::from_utf8_lossy(&header)) {
            Some(has_object) => has_object,
            // numpy might unpickle the body: read it as a pickle if it could be one.
            None if blob.slice(body, blob.len() - body).is_some_and(|rest| {
                let mut sniff = vec![0u8; usize::try_from(rest.len().min(4096)).unwrap_or(0)];
                rest.read_exact_at(&mut sniff, 0).is_ok()
                    && crate::identify::sniff_pickle(&sniff).is_some()
            }) =>
            {
                true
            }
            None => {
                self.unreadable(member, "numpy header or its `descr` is not understood");
                return;
            }
        };
        if has_object {
            let Some(rest) = blob.slice(body, blob.len() - body) else {
                return;
            };
            // Offsets count from the start of the .npy file.
            let inner = match rest {
                Blob::File { file, base, len } => Inner::File {
                    file,
                    at: base,
                    end: base + len,
                },
                Blob::Memory(bytes) => Inner::Slice(bytes),
            };
            let mut source = Source::at(inner, u64::MAX, body);
            let report = pickle::scan_stream(&mut source, &self.limits, Some(1));
            self.record(member, report);
        }
    }

    /// A zip: every member by content.
    fn zip(&mut self, blob: &Blob<'_>, prefix: &str, depth: u8) {
        let at = (!prefix.is_empty()).then_some(prefix);
        let entries = match zip::entries(blob) {
            Ok(entries) => entries,
            Err(error) => {
                self.unreadable(at, format!("zip central directory: {error}"));
                return;
            }
        };
        // Pickles first: their persistent ids name the tensor storages, which are never read.
        let (pickles, others): (Vec<&Entry>, Vec<&Entry>) = entries
            .iter()
            .partition(|e| e.name.ends_with(".pkl") || e.name.ends_with(".pickle"));
        let mut storages = HashSet::new();
        for entry in pickles {
            if !self.count_member(at) {
                return;
            }
            let keys = self.member(blob, entry, prefix, depth);
            let (folder, file) = entry
                .name
                .rsplit_once('/')
                .map_or((String::new(), entry.name.as_str()), |(dir, file)| {
                    (format!("{dir}/"), file)
                });
            // torch keeps a pickle's storages beside it: TorchScript constants apart.
            let storage_dir = if file == "constants.pkl" {
                "constants"
            } else {
                "data"
            };
            for key in keys {
                storages.insert(format!("{folder}{storage_dir}/{key}"));
            }
        }
        for entry in others {
            if storages.contains(&entry.name) || entry.name.ends_with('/') {
                continue;
            }
            if !self.count_member(at) {
                return;
            }
            self.member(blob, entry, prefix, depth);
        }
    }

    /// One zip member; returns the storage keys its pickle names.
    fn member(&mut self, blob: &Blob<'_>, entry: &Entry, prefix: &str, depth: u8) -> Vec<String> {
        let name = join(prefix, &entry.name);
        let data = match zip::data(blob, entry) {
            Ok(data) => data,
            Err(error) => {
                self.unreadable(Some(&name), error.to_string());
                return Vec::new();
            }
        };
        let inflated;
        let content = match entry.method {
            0 => data,
            8 => {
                let mut sniff = Vec::new();
                let mut decoder = flate2::read::DeflateDecoder::new(data.reader())
                    .take(entry.uncompressed.min(SNIFF as u64));
                if let Err(error) = decoder.read_to_end(&mut sniff) {
                    self.unreadable(Some(&name), format!("deflate: {error}"));
                    return Vec::new();
                }
                let kind = self.classify(&sniff, &entry.name);
                let inflate =
                    || flate2::read::DeflateDecoder::new(data.reader()).take(entry.uncompressed);
                match kind {
                    Kind::Other => return Vec::new(),
                    // Streams need no random access: inflate as the machine reads.
                    Kind::Pickle => {
                        let mut source =
                            Source::new(Inner::Reader(Box::new(inflate())), self.budget);
                        let mut report = pickle::scan_stream(&mut source, &self.limits, None);
                        self.budget = source.budget();
                        let keys = std::mem::take(&mut report.collector.storage_keys);
                        self.record(Some(&name), report);
                        return keys;
                    }
                    Kind::Compressed(compression) => {
                        if let Some(decoder) = Self::decoder(compression, Box::new(inflate())) {
                            let mut source = Source::new(Inner::Reader(decoder), self.budget);
                            let report = pickle::scan_stream(&mut source, &self.limits, None);
                            self.budget = source.budget();
                            self.record(Some(&name), report);
                        }
                        return Vec::new();
                    }
                    Kind::Npy | Kind::Zip | Kind::Tar | Kind::SevenZip => {}
                }
                if entry.uncompressed > MAX_NESTED_IN_MEMORY.min(self.budget) {
                    self.limit(
                        Some(&name),
                        None,
                        "a deflated member that holds a pickle or an archive is too large to inflate",
                    );
                    return Vec::new();
                }
                let mut all = Vec::new();
                if let Err(error) = inflate().read_to_end(&mut all) {
                    self.unreadable(Some(&name), format!("deflate: {error}"));
                    return Vec::new();
                }
                self.budget = self.budget.saturating_sub(all.len() as u64);
                inflated = all;
                Blob::Memory(&inflated)
            }
            method => {
                self.unreadable(
                    Some(&name),
                    format!("compression method {method} is not read by PyTorch or gate"),
                );
                return Vec::new();
            }
        };
        let mut sniff = vec![0u8; usize::try_from(content.len().min(SNIFF as u64)).unwrap_or(0)];
        if let Err(error) = content.read_exact_at(&mut sniff, 0) {
            self.unreadable(Some(&name), error.to_string());
            return Vec::new();
        }
        let kind = self.classify(&sniff, &entry.name);
        match kind {
            Kind::Pickle => self.stream(&content, Some(&name), None),
            Kind::Compressed(kind) => {
                self.compressed(&content, kind, Some(&name));
                Vec::new()
            }
            Kind::Npy => {
                self.npy(&content, Some(&name));
                Vec::new()
            }
            Kind::Zip | Kind::Tar => {
                if depth + 1 >= self.limits.depth {
                    let limit = self.container.describe(Limit::Depth);
                    self.limit(Some(&name), None, format!("limit reached: {limit}"));
                } else if matches!(kind, Kind::Zip) {
                    self.zip(&content, &name, depth + 1);
                } else {
                    self.tar(&content, Some(&name), false, depth + 1);
                }
                Vec::new()
            }
            Kind::SevenZip => {
                self.unreadable(
                    Some(&name),
                    "7z archives cannot be opened by this version of gate",
                );
                Vec::new()
            }
            Kind::Other => Vec::new(),
        }
    }

    fn classify(&self, sniff: &[u8], name: &str) -> Kind {
        if sniff.starts_with(b"PK\x03\x04") || sniff.starts_with(b"PK\x05\x06") {
            return Kind::Zip;
        }
        if sniff.starts_with(b"7z\xbc\xaf\x27\x1c") {
            return Kind::SevenZip;
        }
        if sniff.starts_with(b"\x93NUMPY") {
            return Kind::Npy;
        }
        if sniff.get(..512).is_some_and(identify::is_tar_header) {
            return Kind::Tar;
        }
        match identify::sniff_pickle(sniff) {
            Some(Identity {
                format: Some(Format::Joblib),
                detail: Some(kind),
            }) => Kind::Compressed(kind),
            Some(_) => Kind::Pickle,
            None if name.ends_with(".pkl") || name.ends_with(".pickle") => Kind::Pickle,
            None => Kind::Other,
        }
    }

    /// A tar: legacy torch (`sys_info`, `pickle`, `storages`, `tensors`) read as torch reads
    /// them, or a plain tar whose members are read by content.
    fn tar(&mut self, blob: &Blob<'_>, prefix: Option<&str>, torch: bool, depth: u8) {
        let members = match tar_members(blob) {
            Ok(members) => members,
            Err(problem) => {
                self.unreadable(prefix, format!("tar: {problem}"));
                return;
            }
        };
        for (name, offset, len) in members {
            if !self.count_member(prefix) {
                return;
            }
            let Some(content) = blob.slice(offset, len) else {
                self.unreadable(Some(&name), "member runs past the end of the tar");
                continue;
            };
            let label = prefix.map_or_else(|| name.clone(), |p| join(p, &name));
            if torch {
                match name.as_str() {
                    "sys_info" | "pickle" => {
                        self.stream(&content, Some(&label), Some(1));
                    }
                    "storages" => self.legacy_records(&content, &label, true),
                    "tensors" => self.legacy_records(&content, &label, false),
                    _ => {}
                }
                continue;
            }
            let mut sniff = vec![0u8; usize::try_from(len.min(SNIFF as u64)).unwrap_or(0)];
            if content.read_exact_at(&mut sniff, 0).is_err() {
                continue;
            }
            let entry_name = name.clone();
            match self.classify(&sniff, &entry_name) {
                Kind::Pickle => {
                    self.stream(&content, Some(&label), None);
                }
                Kind::Compressed(kind) => self.compressed(&content, kind, Some(&label)),
                Kind::Npy => self.npy(&content, Some(&label)),
                Kind::Zip | Kind::Tar if depth + 1 >= self.limits.depth => {
                    let limit = self.container.describe(Limit::Depth);
                    self.limit(Some(&label), None, format!("limit reached: {limit}"));
                }
                Kind::Zip => self.zip(&content, &label, depth + 1),
                Kind::Tar => self.tar(&content, Some(&label), false, depth + 1),
                Kind::SevenZip => {
                    self.unreadable(
                        Some(&label),
                        "7z archives cannot be opened by this version of gate",
                    );
                }
                Kind::Other => {}
            }
        }
    }

    /// The `storages` and `tensors` members of a legacy tar checkpoint: a count pickle, then per
    /// record an argument pickle followed by raw bytes whose size the record gives.
    fn legacy_records(&mut self, blob: &Blob<'_>, member: &str, storages: bool) {
        let inner = match *blob {
            Blob::File { file, base, len } => Inner::File {
                file,
                at: base,
                end: base + len,
            },
            Blob::Memory(bytes) => Inner::Slice(bytes),
        };
        let mut source = Source::new(inner, u64::MAX);
        let mut first = pickle::scan_stream(&mut source, &self.limits, Some(1));
        let count = match first.values.first() {
            Some(Value::Int(n)) if *n >= 0 => *n as u64,
            _ if first.ending.is_some() => {
                self.record(Some(member), first);
                return;
            }
            _ => {
                first.ending = Some(Ending::Malformed {
                    offset: 0,
                    problem: "the record count is not a number".to_owned(),
                });
                self.record(Some(member), first);
                return;
            }
        };
        self.record(Some(member), first);
        for _ in 0..count {
            let record = pickle::scan_stream(&mut source, &self.limits, Some(1));
            let element = record
                .values
                .first()
                .and_then(|args| legacy_element_size(args, &record));
            let bad_end = record.ending.is_some();
            self.record(Some(member), record);
            if bad_end {
                return;
            }
            let skipped = if storages {
                let Some(element) = element else {
                    self.unreadable(Some(member), "unknown storage type in a legacy checkpoint");
                    return;
                };
                match source.exact(8) {
                    Ok(Some(raw)) => {
                        let mut numel = [0u8; 8];
                        numel.copy_from_slice(&raw);
                        u64::from_le_bytes(numel)
                            .checked_mul(element)
                            .is_some_and(|n| source.skip(n).unwrap_or(false))
                    }
                    _ => false,
                }
            } else {
                match source.exact(8) {
                    Ok(Some(raw)) => {
                        let ndim = u64::from(u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]));
                        source.skip(ndim * 16 + 8).unwrap_or(false)
                    }
                    _ => false,
                }
            };
            if !skipped {
                self.facts.push(Fact::PickleMalformed {
                    member: Some(member.to_owned()),
                    offset: source.offset(),
                    problem: "a legacy storage record is truncated".to_owned(),
                });
                return;
            }
        }
        // After the storages, torch unpickles the storage views (`storage_views =
        // pickle_module.load(f)`); without one its load fails, which runs nothing.
        if storages && !source.at_end().unwrap_or(true) {
            let views = pickle::scan_stream(&mut source, &self.limits, Some(1));
            self.record(Some(member), views);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pickle,
    Tar,
    Compressed(&'static str),
    Npy,
    Zip,
    SevenZip,
    Other,
}

/// Element size of the storage type named in a legacy record `(key, location, storage_type)`.
fn legacy_element_size(args: &Value, record: &StreamReport) -> Option<u64> {
    let Value::Tuple(items) = args else {
        return None;
    };
    let Some(Value::Global(at)) = items.get(2) else {
        return None;
    };
    let global = record.collector.globals.get(*at)?;
    let name = global.name.as_deref()?;
    Some(match name {
        "DoubleStorage" | "LongStorage" | "ComplexFloatStorage" => 8,
        "FloatStorage" | "IntStorage" | "QInt32Storage" => 4,
        "HalfStorage" | "ShortStorage" | "BFloat16Storage" => 2,
        "ByteStorage" | "CharStorage" | "BoolStorage" | "QInt8Storage" | "QUInt8Storage"
        | "QUInt4x2Storage" | "QUInt2x4Storage" | "UntypedStorage" => 1,
        "ComplexDoubleStorage" => 16,
        _ => return None,
    })
}

/// Tar members as (name, data offset, size); handles GNU long names and pax paths.
fn tar_members(blob: &Blob<'_>) -> Result<Vec<(String, u64, u64)>, String> {
    let mut out = Vec::new();
    let mut at = 0u64;
    let mut long_name: Option<String> = None;
    let mut header = [0u8; 512];
    while at + 512 <= blob.len() {
        blob.read_exact_at(&mut header, at)
            .map_err(|e| e.to_string())?;
        if header.iter().all(|b| *b == 0) {
            break;
        }
        let size = tar_number(&header[124..136]).ok_or("bad size field")?;
        let data = at + 512;
        let kind = header[156];
        let field = |range: std::ops::Range<usize>| {
            let raw = &header[range];
            let end = raw.iter().position(|b| *b == 0).unwrap_or(raw.len());
            String::from_utf8_lossy(&raw[..end]).into_owned()
        };
        let mut name = field(0..100);
        if &header[257..262] == b"ustar" {
            let prefix = field(345..500);
            if !prefix.is_empty() {
                name = format!("{prefix}/{name}");
            }
        }
        let body = || -> Result<Vec<u8>, String> {
            if size > 1 << 20 {
                return Err("extended header too large".to_owned());
            }
            let mut buf = vec![0u8; usize::try_from(size).unwrap_or(0)];
            blob.read_exact_at(&mut buf, data)
                .map_err(|e| e.to_string())?;
            Ok(buf)
        };
        match kind {
            b'L' => {
                let raw = body()?;
                let end = raw.iter().position(|b| *b == 0).unwrap_or(raw.len());
                long_name = Some(String::from_utf8_lossy(&raw[..end]).into_owned());
            }
            b'x' => {
                let raw = body()?;
                for record in String::from_utf8_lossy(&raw).lines() {
                    if let Some((_, kv)) = record.split_once(' ')
                        && let Some(path) = kv.strip_prefix("path=")
                    {
                        long_name = Some(path.to_owned());
                    }
                }
            }
            b'0' | 0 | b'7' => {
                let name = long_name.take().unwrap_or(name);
                out.push((name.trim_start_matches("./").to_owned(), data, size));
            }
            _ => {
                long_name = None;
            }
        }
        at = data
            .checked_add(size.div_ceil(512) * 512)
            .ok_or("size overflows")?;
    }
    Ok(out)
}

fn tar_number(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        let mut value: u64 = 0;
        for byte in &field[1..] {
            value = value.checked_mul(256)?.checked_add(u64::from(*byte))?;
        }
        return Some(value);
    }
    let text = String::from_utf8_lossy(field);
    let text = text.trim_matches(|c: char| c == '\0' || c == ' ');
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

/// Containers built from mutated real archives never panic, hang or exhaust memory.
#[cfg(test)]
#[allow(clippy::expect_used)]
mod fuzz {
    use super::*;
    use std::io::Write;

    const SEEDS: &[&[u8]] = &[
        include_bytes!("../../tests/fixtures/pickles/benign/torch/state_dict.pt"),
        include_bytes!("../../tests/fixtures/pickles/benign/torch/legacy_state_dict.pt"),
        include_bytes!("../../tests/fixtures/pickles/benign/numpy/compressed.npz"),
        include_bytes!("../../tests/fixtures/pickles/benign/joblib/arrays.zlib.joblib"),
        include_bytes!("../../tests/fixtures/pickles/malicious/nested.zip"),
        include_bytes!("../../tests/fixtures/pickles/malicious/legacy.tar.pt"),
        include_bytes!("../../tests/fixtures/pickles/malicious/object-array.npy"),
    ];

    #[test]
    fn mutated_containers_never_panic() {
        let mut state: u64 = 0x1234_5678_9abc_def1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sample");
        for round in 0..600 {
            let mut bytes = SEEDS[round % SEEDS.len()].to_vec();
            for _ in 0..1 + next() % 6 {
                let at = (next() as usize) % bytes.len().max(1);
                match next() % 3 {
                    0 if !bytes.is_empty() => bytes[at] = next() as u8,
                    1 => bytes.truncate(at.max(1)),
                    _ => {
                        let word = next().to_le_bytes();
                        let end = (at + 8).min(bytes.len());
                        bytes[at..end].copy_from_slice(&word[..end - at]);
                    }
                }
            }
            let mut file = File::create(&path).expect("create");
            file.write_all(&bytes).expect("write");
            drop(file);
            let file = File::open(&path).expect("open");
            let size = bytes.len() as u64;
            let identity = {
                let mut reader = File::open(&path).expect("open");
                identify::identify(&mut reader, size, &bytes[..bytes.len().min(65536)], "x")
                    .expect("identify")
            };
            let _ = inspect(
                &file,
                size,
                &identity,
                ContainerLimits {
                    max_members: 1000,
                    max_uncompressed: 1 << 26,
                    ..ContainerLimits::DEFAULT
                },
            );
        }
    }
}
