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

use std::io::{self, Write};

use crate::json_writer;
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
/// in JSON. Both go out object by object, so the stream is never held whole beside the
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
            // A window of objects at a time, each window's items written on every core: only
            // a window's objects are ever values at once (read back from their YAML unless
            // kept), and none is when the render wrote their JSON.
            out.write_all(json_writer::LIST_HEAD)?;
            for (index, window) in objects.chunks(JSON_WINDOW).enumerate() {
                let texts = crate::parallel::map_slices(window, |slice| {
                    let mut text = Vec::new();
                    for object in slice {
                        match &object.json {
                            Some(item) => text.extend_from_slice(item.as_bytes()),
                            None => json_writer::list_item(&object.value(), &mut text),
                        }
                    }
                    text
                });
                for (part, text) in texts.iter().enumerate() {
                    // The first item goes without the `,` that every item begins with.
                    let first = index == 0 && part == 0;
                    out.write_all(if first {
                        text.get(1..).unwrap_or_default()
                    } else {
                        text
                    })?;
                }
            }
            out.write_all(json_writer::list_tail(objects.is_empty()))?;
        }
    }
    out.flush()
}

/// Objects written into JSON text at a time: enough to keep both cores busy, few enough that
/// their values and text stay small next to the output.
const JSON_WINDOW: usize = 4096;
