//! Stage 5, emit: rendered objects in, bytes out: a YAML stream, a JSON `List`, or a directory
//! for Git. Output is deterministic (one ordering rule, in `order`). Only this stage and `load`
//! touch the file system, and a directory is written whole or not at all.

mod compare;
mod dir;
mod layout;
mod order;

pub(crate) use compare::{compare, compare_with_dir};
pub(crate) use dir::{DirOptions, MARKER, write_dir};
#[cfg(test)]
pub(crate) use dir::{FAULT, Fault};
pub(crate) use layout::{FileText, Tree, layout};
pub(crate) use order::sort;

use std::borrow::Cow;
use std::io::{self, Write};

use serde_json::Value;

use crate::render::Object;

/// How the objects are written as one stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
#[non_exhaustive]
pub enum Format {
    /// YAML documents, separated by ---
    #[default]
    Yaml,
    /// A JSON v1 List holding every object
    Json,
}

/// The whole output as one stream into `out`: `---`-separated YAML documents, or a `v1` `List`
/// in JSON. YAML goes out object by object, so the stream is never held whole beside the
/// objects.
pub(crate) fn stream(objects: &[Object], format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Yaml => {
            // Each object was written when it was rendered: the stream only joins them.
            for object in objects {
                out.write_all(b"---\n")?;
                out.write_all(object.yaml.as_bytes())?;
            }
        }
        Format::Json => {
            /// Serialised as it is written: the objects are not copied into one value.
            #[derive(serde::Serialize)]
            #[serde(rename_all = "camelCase")]
            struct List<'a> {
                api_version: &'static str,
                kind: &'static str,
                items: Vec<Cow<'a, Value>>,
            }
            let list = List {
                api_version: "v1",
                kind: "List",
                // Numbers as the YAML writes them: a whole float is an integer, as in Go.
                items: objects
                    .iter()
                    .map(|o| match o.value() {
                        Cow::Borrowed(value) => cue::as_go_writes_it(value),
                        Cow::Owned(mut value) => {
                            cue::make_as_go_writes_it(&mut value);
                            Cow::Owned(value)
                        }
                    })
                    .collect(),
            };
            serde_json::to_writer_pretty(&mut *out, &list)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()
}
