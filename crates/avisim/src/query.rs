//! Collection GETs: the filters AKO uses (`name`, `name.contains`, `name.in`, `uuid.in`,
//! `<ref>.name`, `cloud_uuid`, `created_by` and any other plain field, `label_key` /
//! `label_value`), `fields`, `include_name` (an empty value means true), and pagination with
//! `page_size` (at most 200) and an absolute `next` URL.

use std::collections::BTreeSet;

use avi_model::{ObjectRef, ObjectType};
use serde_json::Value;

use crate::store::{Record, Store};

/// Query parameters that are not field filters.
const RESERVED: &[&str] = &[
    "include_name",
    "fields",
    "page",
    "page_size",
    "skip_default",
    "join_subresources",
    "sort",
    "include_refs",
    "exclude",
    "limit_by",
];

const DEFAULT_PAGE_SIZE: usize = 25;
const MAX_PAGE_SIZE: usize = 200;

/// A parsed collection query.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    filters: Vec<Filter>,
    /// `fields=a,b`.
    pub fields: Option<BTreeSet<String>>,
    /// `include_name` present (with any value but `false`).
    pub include_name: bool,
    /// 1-based page.
    pub page: usize,
    /// Objects per page.
    pub page_size: usize,
    pairs: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
enum Filter {
    Name(String),
    NameContains(String),
    NameIContains(String),
    NameIn(Vec<String>),
    UuidIn(Vec<String>),
    RefName { field: String, value: String },
    RefUuid { field: String, value: String },
    Label { key: String, value: Option<String> },
    Field { field: String, value: String },
}

impl ListQuery {
    /// Parse a raw query string (already percent-decoded by the caller's form parser).
    pub fn parse(pairs: Vec<(String, String)>) -> Self {
        let mut q = ListQuery {
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
            ..Default::default()
        };
        fn list<C: FromIterator<String>>(v: &str) -> C {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        }
        let label_value = pairs.iter().find(|(k, _)| k == "label_value").map(|(_, v)| v.clone());
        for (key, value) in &pairs {
            match key.as_str() {
                "include_name" => q.include_name = value != "false",
                "fields" => q.fields = Some(list(value)),
                "page" => q.page = value.parse().unwrap_or(1).max(1),
                "page_size" => q.page_size = value.parse().unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE),
                "name" => q.filters.push(Filter::Name(value.clone())),
                "name.contains" => q.filters.push(Filter::NameContains(value.clone())),
                "name.icontains" => q.filters.push(Filter::NameIContains(value.to_lowercase())),
                "name.in" => q.filters.push(Filter::NameIn(list(value))),
                "uuid.in" => q.filters.push(Filter::UuidIn(list(value))),
                "cloud_uuid" => q.filters.push(Filter::RefUuid {
                    field: "cloud_ref".into(),
                    value: value.clone(),
                }),
                "label_key" => q.filters.push(Filter::Label {
                    key: value.clone(),
                    value: label_value.clone(),
                }),
                "label_value" => {}
                k if RESERVED.contains(&k) => {}
                k => {
                    let filter = if let Some(field) = k.strip_suffix(".name") {
                        Filter::RefName {
                            field: field.to_owned(),
                            value: value.clone(),
                        }
                    } else if let Some(field) = k.strip_suffix(".uuid") {
                        Filter::RefUuid {
                            field: field.to_owned(),
                            value: value.clone(),
                        }
                    } else {
                        Filter::Field {
                            field: k.to_owned(),
                            value: value.clone(),
                        }
                    };
                    q.filters.push(filter);
                }
            }
        }
        q.pairs = pairs;
        q
    }

    /// The exact name filter, if any: the store can answer it with a range lookup.
    pub fn exact_name(&self) -> Option<&str> {
        self.filters.iter().find_map(|f| match f {
            Filter::Name(n) => Some(n.as_str()),
            _ => None,
        })
    }

    /// True when `rec` passes every filter.
    pub fn matches(&self, store: &Store, rec: &Record) -> bool {
        self.filters.iter().all(|f| filter_matches(store, rec, f))
    }

    /// The value of a query parameter, if given.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The query string of the next page.
    pub fn next_page_query(&self) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.pairs.iter().filter(|(k, _)| k != "page") {
            ser.append_pair(k, v);
        }
        ser.append_pair("page", &(self.page + 1).to_string());
        ser.finish()
    }
}

fn filter_matches(store: &Store, rec: &Record, filter: &Filter) -> bool {
    let name = rec.name();
    match filter {
        Filter::Name(n) => name == n,
        Filter::NameContains(s) => name.contains(s.as_str()),
        Filter::NameIContains(s) => name.to_lowercase().contains(s.as_str()),
        Filter::NameIn(names) => names.iter().any(|n| n == name),
        Filter::UuidIn(uuids) => uuids.iter().any(|u| u == rec.uuid()),
        Filter::RefName { field, value } => ref_targets(rec, field)
            .iter()
            .any(|(kind, uuid)| store.get(*kind, uuid).is_some_and(|t| t.name() == value)),
        Filter::RefUuid { field, value } => ref_targets(rec, field).iter().any(|(_, uuid)| uuid == value),
        Filter::Label { key, value } => has_label(rec, key, value.as_deref()),
        Filter::Field { field, value } => match rec.body.get(field) {
            Some(Value::String(s)) => s == value,
            Some(Value::Bool(b)) => b.to_string() == *value,
            Some(Value::Number(n)) => n.to_string() == *value,
            _ => false,
        },
    }
}

/// (type, uuid) targets of a reference field (`x_ref` or `x_refs`).
fn ref_targets(rec: &Record, field: &str) -> Vec<(ObjectType, String)> {
    let strings: Vec<&str> = match rec.body.get(field) {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    strings
        .into_iter()
        .filter_map(|s| ObjectRef::parse(s).ok())
        .filter_map(|r| Some((r.object_type()?, r.uuid()?.to_owned())))
        .collect()
}

/// `markers: [{key, values}]` or `labels: [{key, value}]`.
fn has_label(rec: &Record, key: &str, value: Option<&str>) -> bool {
    let markers = rec.body.get("markers").and_then(Value::as_array).into_iter().flatten();
    let in_markers = markers
        .filter(|m| m.get("key").and_then(Value::as_str) == Some(key))
        .any(|m| match value {
            None => true,
            Some(v) => m
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|x| x.as_str() == Some(v)),
        });
    let labels = rec.body.get("labels").and_then(Value::as_array).into_iter().flatten();
    in_markers
        || labels
            .filter(|l| l.get("key").and_then(Value::as_str) == Some(key))
            .any(|l| value.is_none_or(|v| l.get("value").and_then(Value::as_str) == Some(v)))
}
