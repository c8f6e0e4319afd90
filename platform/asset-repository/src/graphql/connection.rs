//! Relay-style connections: `totalCount`, `pageInfo`, `edges { cursor node }`, and `items` (the
//! nodes straight, as GraphQL.NET connections offer them). Cursors are opaque offsets.

use serde::Deserialize;

use super::exec::{Args, FieldError, Object, Out};

/// The paging arguments of every connection field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paging {
    pub offset: usize,
    pub first: Option<usize>,
}

/// Largest page a connection returns.
pub(crate) const MAX_PAGE: usize = 1000;

impl Paging {
    /// `first` (1 to [`MAX_PAGE`]) and `after` (a cursor from this server), plus the `skip`
    /// extension for offset paging.
    pub(crate) fn from_args(args: &Args) -> Result<Paging, FieldError> {
        let first: Option<i64> = args.get("first")?;
        let first = match first {
            None => None,
            Some(first) if (0..=MAX_PAGE as i64).contains(&first) => Some(first as usize),
            Some(first) => {
                return Err(FieldError::invalid(format!(
                    "argument `first` must be 0 to {MAX_PAGE}, not {first}"
                )));
            }
        };
        let mut offset = 0usize;
        if let Some(after) = args.get::<String>("after")? {
            offset = decode_cursor(&after)? + 1;
        }
        if let Some(skip) = args.get::<i64>("skip")? {
            if skip < 0 {
                return Err(FieldError::invalid("argument `skip` must not be negative"));
            }
            offset += skip as usize;
        }
        Ok(Paging { offset, first })
    }
}

pub(crate) fn cursor(position: usize) -> String {
    format!("o{position}")
}

fn decode_cursor(text: &str) -> Result<usize, FieldError> {
    text.strip_prefix('o')
        .and_then(|digits| digits.parse().ok())
        .ok_or_else(|| {
            FieldError::invalid(format!(
                "argument `after`: `{text}` is not a cursor of this server; pass an `endCursor` or `cursor` it returned"
            ))
        })
}

/// One page of nodes.
pub(crate) struct Connection<T> {
    pub type_name: &'static str,
    pub nodes: Vec<T>,
    pub total_count: u64,
    /// The position of the first node in the whole result.
    pub offset: usize,
}

impl<T> Connection<T> {
    /// Pages a whole in-memory list.
    pub(crate) fn paged(type_name: &'static str, all: Vec<T>, paging: Paging) -> Connection<T> {
        let total_count = all.len() as u64;
        let nodes: Vec<T> = all
            .into_iter()
            .skip(paging.offset)
            .take(paging.first.unwrap_or(MAX_PAGE))
            .collect();
        Connection {
            type_name,
            nodes,
            total_count,
            offset: paging.offset,
        }
    }
}

impl<T: Object> Object for Connection<T> {
    fn type_name(&self) -> &'static str {
        self.type_name
    }

    fn field<'s>(&'s self, name: &str, _args: &Args) -> Result<Out<'s>, FieldError> {
        let end = self.offset + self.nodes.len();
        Ok(match name {
            "totalCount" => Out::leaf(self.total_count),
            "items" => Out::objects(self.nodes.iter()),
            "edges" => Out::objects(self.nodes.iter().enumerate().map(|(idx, node)| Edge {
                cursor: cursor(self.offset + idx),
                node,
            })),
            "pageInfo" => Out::object(PageInfo {
                has_next_page: (end as u64) < self.total_count,
                has_previous_page: self.offset > 0,
                start_cursor: (!self.nodes.is_empty()).then(|| cursor(self.offset)),
                end_cursor: (!self.nodes.is_empty()).then(|| cursor(end - 1)),
            }),
            other => return Err(unknown_field(self.type_name, other)),
        })
    }
}

struct Edge<'a, T> {
    cursor: String,
    node: &'a T,
}

impl<T: Object> Object for Edge<'_, T> {
    fn type_name(&self) -> &'static str {
        "Edge"
    }

    fn field<'s>(&'s self, name: &str, _args: &Args) -> Result<Out<'s>, FieldError> {
        Ok(match name {
            "cursor" => Out::leaf(self.cursor.clone()),
            "node" => Out::object(self.node),
            other => return Err(unknown_field("Edge", other)),
        })
    }
}

struct PageInfo {
    has_next_page: bool,
    has_previous_page: bool,
    start_cursor: Option<String>,
    end_cursor: Option<String>,
}

impl Object for PageInfo {
    fn type_name(&self) -> &'static str {
        "PageInfo"
    }

    fn field<'s>(&'s self, name: &str, _args: &Args) -> Result<Out<'s>, FieldError> {
        Ok(match name {
            "hasNextPage" => Out::leaf(self.has_next_page),
            "hasPreviousPage" => Out::leaf(self.has_previous_page),
            "startCursor" => Out::optional(self.start_cursor.clone()),
            "endCursor" => Out::optional(self.end_cursor.clone()),
            other => return Err(unknown_field("PageInfo", other)),
        })
    }
}

impl<T: Object + ?Sized> Object for &T {
    fn type_name(&self) -> &'static str {
        (**self).type_name()
    }

    fn field<'s>(&'s self, name: &str, args: &Args) -> Result<Out<'s>, FieldError> {
        (**self).field(name, args)
    }
}

/// The error for a field the type does not have.
pub(crate) fn unknown_field(type_name: &str, field: &str) -> FieldError {
    FieldError::invalid(format!("type `{type_name}` has no field `{field}`"))
}

/// `searchFilter` as the asset repository takes it (only `searchTerm` matters here).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SearchFilter {
    pub search_term: Option<String>,
}
