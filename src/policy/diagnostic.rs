//! Policy errors: every problem found in a policy file, with its line, column and a snippet of the
//! source, rendered like rustc (annotate-snippets, the crate serde-saphyr uses too).

use super::yaml::Span;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use std::fmt;

/// One problem in a policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Diagnostic {
    pub(crate) message: String,
    pub(crate) span: Span,
    pub(crate) label: String,
    pub(crate) help: Option<String>,
}

/// Why a policy could not be used. Always ends the run with exit code 2.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PolicyError {
    #[error("cannot read policy {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("policy {path} is not valid UTF-8")]
    NotUtf8 { path: String },
    #[error("{} in policy {path}", plural(.diagnostics.len(), "error"))]
    Invalid {
        path: String,
        source_text: String,
        diagnostics: Vec<Diagnostic>,
    },
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl PolicyError {
    /// Renders every diagnostic with its snippet. `styled` adds colour.
    pub(crate) fn render(&self, styled: bool) -> String {
        match self {
            Self::Invalid {
                path,
                source_text,
                diagnostics,
            } => {
                let renderer = if styled {
                    Renderer::styled()
                } else {
                    Renderer::plain()
                };
                let mut out = String::new();
                for diagnostic in diagnostics {
                    out.push_str(&render_one(&renderer, path, source_text, diagnostic));
                    out.push_str("\n\n");
                }
                out.push_str(&format!("error: {self}"));
                out
            }
            other => format!("error: {other}"),
        }
    }
}

fn render_one(renderer: &Renderer, path: &str, source: &str, diagnostic: &Diagnostic) -> String {
    let title = format!(
        "{} (line {}, column {})",
        diagnostic.message, diagnostic.span.line, diagnostic.span.column
    );
    let start = diagnostic.span.start.min(source.len());
    let mut end = start + diagnostic.span.len.max(1);
    end = end.min(source.len());
    // annotate-snippets needs char boundaries; widen to the line end if the span is odd.
    while end < source.len() && !source.is_char_boundary(end) {
        end += 1;
    }
    let mut group: Group<'_> = Level::ERROR.primary_title(title.as_str()).element(
        Snippet::source(source).path(path).fold(true).annotation(
            AnnotationKind::Primary
                .span(start..end)
                .label(diagnostic.label.as_str()),
        ),
    );
    if let Some(help) = &diagnostic.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    renderer.render(&[group])
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}",
            self.span.line, self.span.column, self.message
        )
    }
}
