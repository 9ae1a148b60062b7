//! Stage 5, emit: rendered objects in, bytes out: a YAML stream, a JSON `List`, or a directory
//! for Git. Output is deterministic (one ordering rule, in `order`). Only this stage and `load`
//! touch the file system, and a directory is written whole or not at all.

mod compare;
mod dir;
mod layout;
mod order;

pub(crate) use compare::{compare, read_written};
pub(crate) use dir::{DirOptions, MARKER, write_dir};
#[cfg(test)]
pub(crate) use dir::{FAULT, Fault};
pub(crate) use layout::layout;
pub(crate) use order::sort;

use std::borrow::Cow;

use serde_json::{Value, json};

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

/// The whole output as one stream: `---`-separated YAML documents, or a `v1` `List` in JSON.
pub(crate) fn stream(objects: &[Object], format: Format) -> String {
    match format {
        Format::Yaml => {
            // Each object was written when it was rendered: the stream only joins them.
            let length = objects.iter().map(|o| o.yaml.len() + 4).sum();
            let mut text = String::with_capacity(length);
            for object in objects {
                text.push_str("---\n");
                text.push_str(&object.yaml);
            }
            text
        }
        Format::Json => {
            let items: Vec<Cow<'_, Value>> = objects.iter().map(Object::value).collect();
            let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
            let mut text = serde_json::to_string_pretty(&list).unwrap_or_default();
            text.push('\n');
            text
        }
    }
}
