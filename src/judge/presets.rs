//! The pickle allowlist presets shipped in the binary (`models.pickle.allow-presets`), and the
//! known-dangerous list that ranks what they do not allow. Each preset is versioned: a change to
//! what a preset admits bumps its version, which `gate explain pickle-global-not-allowed` prints.
//!
//! Presets name what real loaders of weights need and nothing that can run code or touch the
//! system when called: `pytorch` mirrors torch's `weights_only` unpickler (plus TorchScript's
//! helpers and a few inert builtins), `numpy` the array, dtype, scalar and random-state
//! constructors, `joblib` its array wrapper, `sklearn` estimator classes, `transformers` the
//! argument and config classes of `training_args.bin`.

use std::collections::HashSet;
use std::sync::LazyLock;

/// A named, versioned allowlist.
pub(crate) struct Preset {
    pub(crate) name: &'static str,
    pub(crate) version: u32,
    /// `module.qualname` or `module.*` (the module and its submodules, undotted names only).
    pub(crate) globals: &'static [&'static str],
    /// Extra admission rule for open-ended families (sklearn's estimator classes).
    pub(crate) rule: Option<fn(&str, &str) -> bool>,
}

pub(crate) static PRESETS: &[Preset] = &[
    Preset {
        name: "pytorch",
        version: 1,
        globals: PYTORCH,
        rule: None,
    },
    Preset {
        name: "numpy",
        // 2: numpy 2's `numpy.ma.MaskedArray`, the masked constant, StringDType.
        version: 2,
        globals: NUMPY,
        rule: None,
    },
    Preset {
        name: "joblib",
        version: 1,
        globals: &[
            "joblib.numpy_pickle.NumpyArrayWrapper",
            "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
        ],
        rule: None,
    },
    Preset {
        name: "sklearn",
        version: 1,
        globals: SKLEARN,
        rule: Some(sklearn_class),
    },
    Preset {
        name: "transformers",
        version: 1,
        globals: TRANSFORMERS,
        rule: None,
    },
];

pub(crate) fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

const PYTORCH: &[&str] = &[
    "collections.OrderedDict",
    "collections.Counter",
    "_codecs.encode",
    "builtins.bytearray",
    "builtins.set",
    "builtins.frozenset",
    "builtins.complex",
    "builtins.slice",
    "builtins.range",
    "builtins.object",
    "copyreg._reconstructor",
    // What training checkpoints carry beside tensors: plain-value classes whose constructors
    // only store what they are given.
    "argparse.Namespace",
    "datetime.date",
    "datetime.datetime",
    "datetime.time",
    "datetime.timedelta",
    "datetime.timezone",
    "decimal.Decimal",
    "fractions.Fraction",
    "pathlib.PosixPath",
    "pathlib.PurePosixPath",
    "pathlib.PureWindowsPath",
    "pathlib.WindowsPath",
    "torch.torch_version.TorchVersion",
    "torch.nn.parameter.Parameter",
    "torch.serialization._get_layout",
    "torch.Size",
    "torch.Tensor",
    "torch.device",
    "torch.storage.TypedStorage",
    "torch.storage.UntypedStorage",
    "torch._tensor._rebuild_from_type_v2",
    "torch._utils._rebuild_device_tensor_from_cpu_tensor",
    "torch._utils._rebuild_device_tensor_from_numpy",
    "torch._utils._rebuild_meta_tensor_no_storage",
    "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state",
    "torch._utils._rebuild_qtensor",
    "torch._utils._rebuild_sparse_tensor",
    "torch._utils._rebuild_nested_tensor",
    "torch._utils._rebuild_tensor",
    "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_tensor_v3",
    "torch._utils._rebuild_wrapper_subclass",
    // dtypes
    "torch.bcomplex32",
    "torch.bfloat16",
    "torch.bits16",
    "torch.bits1x8",
    "torch.bits2x4",
    "torch.bits4x2",
    "torch.bits8",
    "torch.bool",
    "torch.complex128",
    "torch.complex32",
    "torch.complex64",
    "torch.float16",
    "torch.float32",
    "torch.float4_e2m1fn_x2",
    "torch.float64",
    "torch.float8_e4m3fn",
    "torch.float8_e4m3fnuz",
    "torch.float8_e5m2",
    "torch.float8_e5m2fnuz",
    "torch.float8_e8m0fnu",
    "torch.int1",
    "torch.int16",
    "torch.int2",
    "torch.int3",
    "torch.int32",
    "torch.int4",
    "torch.int5",
    "torch.int6",
    "torch.int64",
    "torch.int7",
    "torch.int8",
    "torch.qint32",
    "torch.qint8",
    "torch.quint2x4",
    "torch.quint4x2",
    "torch.quint8",
    "torch.uint1",
    "torch.uint16",
    "torch.uint2",
    "torch.uint3",
    "torch.uint32",
    "torch.uint4",
    "torch.uint5",
    "torch.uint6",
    "torch.uint64",
    "torch.uint7",
    "torch.uint8",
    // quantization schemes
    "torch.per_channel_affine",
    "torch.per_channel_affine_float_qparams",
    "torch.per_channel_symmetric",
    "torch.per_tensor_affine",
    "torch.per_tensor_symmetric",
    // legacy storage and tensor types
    "torch.BFloat16Storage",
    "torch.BoolStorage",
    "torch.ByteStorage",
    "torch.CharStorage",
    "torch.ComplexDoubleStorage",
    "torch.ComplexFloatStorage",
    "torch.DoubleStorage",
    "torch.FloatStorage",
    "torch.HalfStorage",
    "torch.IntStorage",
    "torch.LongStorage",
    "torch.QInt32Storage",
    "torch.QInt8Storage",
    "torch.QUInt2x4Storage",
    "torch.QUInt4x2Storage",
    "torch.QUInt8Storage",
    "torch.ShortStorage",
    "torch.BFloat16Tensor",
    "torch.BoolTensor",
    "torch.ByteTensor",
    "torch.CharTensor",
    "torch.DoubleTensor",
    "torch.FloatTensor",
    "torch.HalfTensor",
    "torch.IntTensor",
    "torch.LongTensor",
    "torch.ShortTensor",
    "torch.cuda.BFloat16Storage",
    "torch.cuda.BoolStorage",
    "torch.cuda.ByteStorage",
    "torch.cuda.CharStorage",
    "torch.cuda.ComplexDoubleStorage",
    "torch.cuda.ComplexFloatStorage",
    "torch.cuda.DoubleStorage",
    "torch.cuda.FloatStorage",
    "torch.cuda.HalfStorage",
    "torch.cuda.IntStorage",
    "torch.cuda.LongStorage",
    "torch.cuda.ShortStorage",
    "torch.cuda.BFloat16Tensor",
    "torch.cuda.BoolTensor",
    "torch.cuda.ByteTensor",
    "torch.cuda.CharTensor",
    "torch.cuda.DoubleTensor",
    "torch.cuda.FloatTensor",
    "torch.cuda.HalfTensor",
    "torch.cuda.IntTensor",
    "torch.cuda.LongTensor",
    "torch.cuda.ShortTensor",
    "torch.sparse.BFloat16Tensor",
    "torch.sparse.ByteTensor",
    "torch.sparse.CharTensor",
    "torch.sparse.DoubleTensor",
    "torch.sparse.FloatTensor",
    "torch.sparse.HalfTensor",
    "torch.sparse.IntTensor",
    "torch.sparse.LongTensor",
    "torch.sparse.ShortTensor",
    "torch.cuda.sparse.BFloat16Tensor",
    "torch.cuda.sparse.ByteTensor",
    "torch.cuda.sparse.CharTensor",
    "torch.cuda.sparse.DoubleTensor",
    "torch.cuda.sparse.FloatTensor",
    "torch.cuda.sparse.HalfTensor",
    "torch.cuda.sparse.IntTensor",
    "torch.cuda.sparse.LongTensor",
    "torch.cuda.sparse.ShortTensor",
    // TorchScript archives: classes compiled from the archive's own code, list builders.
    "__torch__.*",
    "torch.jit._pickle.build_intlist",
    "torch.jit._pickle.build_tensorlist",
    "torch.jit._pickle.build_doublelist",
    "torch.jit._pickle.build_boollist",
    "torch.jit._pickle.build_tensor_from_id",
    "torch.jit._pickle.restore_type_tag",
];

const NUMPY: &[&str] = &[
    "_codecs.encode",
    "builtins.slice",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.dtypes.*",
    "numpy.core.multiarray._reconstruct",
    "numpy._core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar",
    "numpy._core.multiarray.scalar",
    "numpy.core.numeric._frombuffer",
    "numpy._core.numeric._frombuffer",
    "numpy.ma.core._mareconstruct",
    "numpy.ma.core.MaskedArray",
    // numpy 2 pickles masked arrays under the public name; the masked constant rebuilds the
    // singleton; StringDType arrays rebuild their dtype from keyword arguments.
    "numpy.ma.MaskedArray",
    "numpy.ma.core.MaskedConstant",
    "numpy._core._internal._convert_to_stringdtype_kwargs",
    "numpy.matrix",
    "numpy.matrixlib.defmatrix.matrix",
    "numpy.random._pickle.__randomstate_ctor",
    "numpy.random._pickle.__bit_generator_ctor",
    "numpy.random._pickle.__generator_ctor",
    "numpy.random.mtrand.RandomState",
    "numpy.random._generator.Generator",
    "numpy.random._mt19937.MT19937",
    "numpy.random._pcg64.PCG64",
    "numpy.random._pcg64.PCG64DXSM",
    "numpy.random._philox.Philox",
    "numpy.random._sfc64.SFC64",
    "numpy.random.bit_generator.SeedSequence",
    "numpy.random.bit_generator.__pyx_unpickle_SeedSequence",
    "numpy.bool_",
    "numpy.bool",
    "numpy.int8",
    "numpy.int16",
    "numpy.int32",
    "numpy.int64",
    "numpy.uint8",
    "numpy.uint16",
    "numpy.uint32",
    "numpy.uint64",
    "numpy.intc",
    "numpy.uintc",
    "numpy.int_",
    "numpy.uint",
    "numpy.intp",
    "numpy.uintp",
    "numpy.longlong",
    "numpy.ulonglong",
    "numpy.float16",
    "numpy.float32",
    "numpy.float64",
    "numpy.longdouble",
    "numpy.complex64",
    "numpy.complex128",
    "numpy.clongdouble",
    "numpy.str_",
    "numpy.bytes_",
    "numpy.void",
    "numpy.object_",
    "numpy.datetime64",
    "numpy.timedelta64",
];

const SKLEARN: &[&str] = &[
    "sklearn.neighbors._kd_tree.newObj",
    "sklearn.neighbors._ball_tree.newObj",
    "sklearn.neighbors._binary_tree.newObj",
    "sklearn.metrics._dist_metrics.newObj",
    "sklearn.tree._tree._build_pruned_tree_py",
];

/// Modules of scikit-learn whose classes do more than hold parameters when constructed.
const SKLEARN_EXCLUDED: &[&str] = &[
    "sklearn.datasets",
    "sklearn.externals",
    "sklearn.utils._testing",
    "sklearn.utils._mocking",
    "sklearn.utils.parallel",
    "sklearn.utils._show_versions",
    "sklearn.experimental",
    "sklearn.conftest",
    "sklearn.tests",
];

/// scikit-learn estimators, transformers and their helper classes: constructing one only
/// stores its parameters (sklearn's own convention), and unpickling sets its attributes.
fn sklearn_class(module: &str, name: &str) -> bool {
    (module == "sklearn" || module.starts_with("sklearn."))
        && !SKLEARN_EXCLUDED
            .iter()
            .any(|m| module == *m || module.starts_with(&format!("{m}.")))
        && !module.split('.').any(|p| p == "tests")
        && !name.contains('.')
        && name
            .trim_start_matches('_')
            .chars()
            .next()
            .is_some_and(char::is_uppercase)
}

const TRANSFORMERS: &[&str] = &[
    "transformers.training_args.TrainingArguments",
    "transformers.training_args.OptimizerNames",
    "transformers.training_args.ParallelMode",
    "transformers.training_args_seq2seq.Seq2SeqTrainingArguments",
    "transformers.trainer_utils.IntervalStrategy",
    "transformers.trainer_utils.SaveStrategy",
    "transformers.trainer_utils.EvaluationStrategy",
    "transformers.trainer_utils.HubStrategy",
    "transformers.trainer_utils.SchedulerType",
    "transformers.trainer_utils.FSDPOption",
    "transformers.trainer_pt_utils.AcceleratorConfig",
    "transformers.debug_utils.DebugOption",
    "transformers.generation.configuration_utils.GenerationConfig",
    "accelerate.utils.dataclasses.DistributedType",
    "accelerate.state.PartialState",
    "torch.device",
];

/// Builtins whose call builds a plain value and nothing else.
pub(crate) const SAFE_BUILTINS: &[&str] = &[
    "object",
    "bool",
    "bytearray",
    "bytes",
    "complex",
    "dict",
    "float",
    "frozenset",
    "int",
    "list",
    "range",
    "set",
    "slice",
    "str",
    "tuple",
];

/// Attribute names that reach interpreter internals from any object.
const ESCAPE_ATTRIBUTES: &[&str] = &[
    "__builtins__",
    "__dict__",
    "__globals__",
    "__getattribute__",
    "__subclasses__",
    "__class__",
    "__base__",
    "__bases__",
    "__mro__",
    "__code__",
    "__closure__",
    "__import__",
    "__loader__",
    "__spec__",
    "__reduce__",
    "__reduce_ex__",
    "__self__",
    "__func__",
    "__call__",
    "__get__",
    "__init_subclass__",
];

struct Dangerous {
    exact: HashSet<&'static str>,
    modules: Vec<&'static str>,
    names: HashSet<&'static str>,
}

static DANGEROUS: LazyLock<Dangerous> = LazyLock::new(|| {
    let mut list = Dangerous {
        exact: HashSet::new(),
        modules: Vec::new(),
        names: HashSet::new(),
    };
    for line in include_str!("dangerous-globals.txt").lines() {
        let entry = line.trim();
        if entry.is_empty() || entry.starts_with('#') {
            continue;
        }
        if let Some(name) = entry.strip_prefix("*.") {
            list.names.insert(name);
        } else if let Some(module) = entry.strip_suffix(".*") {
            list.modules.push(module);
        } else {
            list.exact.insert(entry);
        }
    }
    list
});

fn listed(path: &str) -> bool {
    let list = &*DANGEROUS;
    list.exact.contains(path)
        || list.modules.iter().any(|m| {
            path.strip_prefix(m)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
}

/// Whether `module.name` is on the known-dangerous list. A dotted `name` is walked attribute by
/// attribute by the loader (protocol 4), so every tail of it is checked as a path of its own
/// (`pathlib` + `os.system` is `os.system`).
pub(crate) fn is_dangerous(module: &str, name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    if parts.iter().any(|p| ESCAPE_ATTRIBUTES.contains(p)) {
        return true;
    }
    // `__builtin__` is judged by its Python 3 spelling (the caller maps it first).
    if matches!(module, "builtins" | "__builtins__") && !SAFE_BUILTINS.contains(&name) {
        return true;
    }
    if listed(&format!("{module}.{name}")) {
        return true;
    }
    for start in 0..parts.len().saturating_sub(1) {
        let tail = parts[start..].join(".");
        if listed(&tail) {
            return true;
        }
        if let Some((head, rest)) = tail.split_once('.')
            && matches!(head, "builtins" | "__builtin__" | "__builtins__")
            && !SAFE_BUILTINS.contains(&rest)
        {
            return true;
        }
    }
    parts
        .last()
        .is_some_and(|last| DANGEROUS.names.contains(last))
}

/// Top-level modules that import wherever a pickle is loaded (importable-modules.txt, plus every
/// module a preset or the dangerous list names).
static IMPORTABLE: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    let top = |path: &'static str| path.split('.').next().unwrap_or(path);
    let listed = include_str!("importable-modules.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'));
    let dangerous = include_str!("dangerous-globals.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#') && !line.starts_with("*."))
        .map(top);
    let allowed = PRESETS
        .iter()
        .flat_map(|preset| preset.globals.iter().copied())
        .map(top);
    listed.chain(dangerous).chain(allowed).collect()
});

/// Whether `module` (dotted) belongs to a package that is importable in an ordinary Python
/// environment. A name outside them makes `find_class` fail before anything is called.
pub(crate) fn is_importable(module: &str) -> bool {
    let top = module.split('.').next().unwrap_or(module);
    IMPORTABLE.contains(top)
}

/// CPython's `_compat_pickle`: Python 2 names a protocol 0–2 stream may use, as loaded.
pub(crate) fn python3_name(module: &str, name: &str) -> (String, String) {
    for ((m2, n2), (m3, n3)) in NAME_MAPPING {
        if *m2 == module && *n2 == name {
            return ((*m3).to_owned(), (*n3).to_owned());
        }
    }
    if module == "exceptions" {
        return ("builtins".to_owned(), name.to_owned());
    }
    for (m2, m3) in IMPORT_MAPPING {
        if *m2 == module {
            return ((*m3).to_owned(), name.to_owned());
        }
    }
    (module.to_owned(), name.to_owned())
}

/// `(module, name)` as Python 2 wrote it and as Python 3 loads it.
type Renamed = ((&'static str, &'static str), (&'static str, &'static str));

const NAME_MAPPING: &[Renamed] = &[
    (("__builtin__", "xrange"), ("builtins", "range")),
    (("__builtin__", "reduce"), ("functools", "reduce")),
    (("__builtin__", "intern"), ("sys", "intern")),
    (("__builtin__", "unichr"), ("builtins", "chr")),
    (("__builtin__", "unicode"), ("builtins", "str")),
    (("__builtin__", "long"), ("builtins", "int")),
    (("__builtin__", "basestring"), ("builtins", "str")),
    (("itertools", "izip"), ("builtins", "zip")),
    (("itertools", "imap"), ("builtins", "map")),
    (("itertools", "ifilter"), ("builtins", "filter")),
    (("itertools", "ifilterfalse"), ("itertools", "filterfalse")),
    (("itertools", "izip_longest"), ("itertools", "zip_longest")),
    (
        ("UserDict", "IterableUserDict"),
        ("collections", "UserDict"),
    ),
    (("UserList", "UserList"), ("collections", "UserList")),
    (("UserString", "UserString"), ("collections", "UserString")),
    (("UserDict", "UserDict"), ("collections", "UserDict")),
    (("whichdb", "whichdb"), ("dbm", "whichdb")),
    (("_socket", "fromfd"), ("socket", "fromfd")),
    (("socket", "_socketobject"), ("socket", "SocketType")),
    (
        ("_multiprocessing", "Connection"),
        ("multiprocessing.connection", "Connection"),
    ),
    (
        ("multiprocessing.process", "Process"),
        ("multiprocessing.context", "Process"),
    ),
    (
        ("multiprocessing.forking", "Popen"),
        ("multiprocessing.popen_fork", "Popen"),
    ),
    (("urllib", "getproxies"), ("urllib.request", "getproxies")),
    (
        ("urllib", "pathname2url"),
        ("urllib.request", "pathname2url"),
    ),
    (
        ("urllib", "url2pathname"),
        ("urllib.request", "url2pathname"),
    ),
    (("urllib", "urlcleanup"), ("urllib.request", "urlcleanup")),
    (("urllib", "urlopen"), ("urllib.request", "urlopen")),
    (("urllib", "urlretrieve"), ("urllib.request", "urlretrieve")),
    (("urllib", "quote_plus"), ("urllib.parse", "quote_plus")),
    (("urllib", "quote"), ("urllib.parse", "quote")),
    (("urllib", "unquote_plus"), ("urllib.parse", "unquote_plus")),
    (("urllib", "unquote"), ("urllib.parse", "unquote")),
    (("urllib", "urlencode"), ("urllib.parse", "urlencode")),
    (("exceptions", "StandardError"), ("builtins", "Exception")),
];

const IMPORT_MAPPING: &[(&str, &str)] = &[
    ("__builtin__", "builtins"),
    ("copy_reg", "copyreg"),
    ("Queue", "queue"),
    ("SocketServer", "socketserver"),
    ("ConfigParser", "configparser"),
    ("repr", "reprlib"),
    ("tkFileDialog", "tkinter.filedialog"),
    ("tkSimpleDialog", "tkinter.simpledialog"),
    ("tkColorChooser", "tkinter.colorchooser"),
    ("tkCommonDialog", "tkinter.commondialog"),
    ("Dialog", "tkinter.dialog"),
    ("Tkdnd", "tkinter.dnd"),
    ("tkFont", "tkinter.font"),
    ("tkMessageBox", "tkinter.messagebox"),
    ("ScrolledText", "tkinter.scrolledtext"),
    ("Tkconstants", "tkinter.constants"),
    ("Tix", "tkinter.tix"),
    ("ttk", "tkinter.ttk"),
    ("Tkinter", "tkinter"),
    ("markupbase", "_markupbase"),
    ("_winreg", "winreg"),
    ("thread", "_thread"),
    ("dummy_thread", "_dummy_thread"),
    ("dbhash", "dbm.bsd"),
    ("dumbdbm", "dbm.dumb"),
    ("dbm", "dbm.ndbm"),
    ("gdbm", "dbm.gnu"),
    ("xmlrpclib", "xmlrpc.client"),
    ("SimpleXMLRPCServer", "xmlrpc.server"),
    ("httplib", "http.client"),
    ("htmlentitydefs", "html.entities"),
    ("HTMLParser", "html.parser"),
    ("Cookie", "http.cookies"),
    ("cookielib", "http.cookiejar"),
    ("BaseHTTPServer", "http.server"),
    ("test.test_support", "test.support"),
    ("commands", "subprocess"),
    ("urlparse", "urllib.parse"),
    ("robotparser", "urllib.robotparser"),
    ("urllib2", "urllib.request"),
    ("anydbm", "dbm"),
    ("_abcoll", "collections.abc"),
    ("cPickle", "pickle"),
    ("_elementtree", "xml.etree.ElementTree"),
    ("FileDialog", "tkinter.filedialog"),
    ("SimpleDialog", "tkinter.simpledialog"),
    ("DocXMLRPCServer", "xmlrpc.server"),
    ("SimpleHTTPServer", "http.server"),
    ("CGIHTTPServer", "http.server"),
    ("UserDict", "collections"),
    ("UserList", "collections"),
    ("UserString", "collections"),
    ("whichdb", "dbm"),
    ("StringIO", "io"),
    ("cStringIO", "io"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_preset_entry_is_dangerous() {
        for preset in PRESETS {
            for entry in preset.globals {
                let body = entry.strip_suffix(".*").unwrap_or(entry);
                let (module, name) = body.rsplit_once('.').unwrap_or((body, "x"));
                assert!(
                    !is_dangerous(module, name),
                    "{} preset admits dangerous {entry}",
                    preset.name
                );
            }
        }
    }

    #[test]
    fn dotted_names_are_walked() {
        assert!(is_dangerous("pathlib", "os.system"));
        assert!(is_dangerous("numpy", "__builtins__"));
        assert!(is_dangerous("posix", "system"));
        assert!(is_dangerous("builtins", "eval"));
        assert!(is_dangerous("__builtin__", "getattr"));
        assert!(!is_dangerous("__builtin__", "xrange"));
        assert!(is_dangerous("torch", "_utils.builtins.exec"));
        assert!(!is_dangerous("builtins", "set"));
        assert!(!is_dangerous("collections", "OrderedDict"));
        assert!(!is_dangerous("numpy.random._pickle", "__randomstate_ctor"));
    }

    #[test]
    fn sklearn_rule_admits_classes_only() {
        assert!(sklearn_class(
            "sklearn.linear_model._logistic",
            "LogisticRegression"
        ));
        assert!(!sklearn_class("sklearn.datasets._openml", "fetch_openml"));
        assert!(!sklearn_class("sklearn.datasets", "Bunch"));
        assert!(!sklearn_class("sklearn.utils", "resample"));
        assert!(!sklearn_class("sklearnx", "Evil"));
    }

    #[test]
    fn python2_names_map_like_cpython() {
        assert_eq!(
            python3_name("__builtin__", "set"),
            ("builtins".to_owned(), "set".to_owned())
        );
        assert_eq!(
            python3_name("copy_reg", "_reconstructor"),
            ("copyreg".to_owned(), "_reconstructor".to_owned())
        );
        assert_eq!(
            python3_name("__builtin__", "reduce"),
            ("functools".to_owned(), "reduce".to_owned())
        );
    }
}
