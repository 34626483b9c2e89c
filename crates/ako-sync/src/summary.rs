//! What a sync did: counts per outcome, the controller requests it sent (by object type, method
//! and result), and for every failure the object, the model, the Kubernetes objects behind that
//! model, the controller's message and whether it is retried.

use std::collections::BTreeMap;
use std::fmt;

use ako_translate::{ModelKey, ObjRef};
use avi_model::ObjectType;
use serde::{Serialize, Serializer};

use crate::key::ObjectKey;
use crate::plan::{GuardRefusal, PlanProblem};

/// When a failed operation is tried again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Retry {
    /// Soon, with exponential backoff (5xx, transport errors, timeouts, lost sessions).
    Fast,
    /// Much later: the controller cannot do it now (no free IP, upgrade in progress, missing
    /// VRF/network/tenant).
    Slow,
    /// Not until the desired state changes (the controller rejected the object).
    Never,
}

/// One failed operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The model.
    pub model: ModelKey,
    /// The object.
    pub key: ObjectKey,
    /// `create`, `update` or `delete`.
    pub verb: &'static str,
    /// What went wrong (the controller's message when it answered).
    pub message: String,
    /// When it is retried.
    pub retry: Retry,
    /// Kubernetes objects of this model, to attach the failure to.
    pub sources: Vec<ObjRef>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.verb, self.key, self.message)?;
        if !self.sources.is_empty() {
            let sources: Vec<String> = self.sources.iter().map(ToString::to_string).collect();
            write!(f, " [{}]", sources.join(", "))?;
        }
        Ok(())
    }
}

/// How one controller request ended, as [`Requests`] counts it: by what the controller answered,
/// not by what the engine made of it (a 404 on DELETE is a `ClientError` even though the object
/// counts as deleted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestResult {
    /// 2xx.
    Success,
    /// 4xx (401 and 419 included: the client's re-login did not save the request).
    ClientError,
    /// 5xx.
    ServerError,
    /// No answer: connection refused or lost, timeout.
    Unreachable,
    /// Anything else (an answer that could not be decoded, a client configuration error).
    Error,
}

impl RequestResult {
    /// The result of a client call.
    pub fn of<T>(r: &Result<T, avi_client::Error>) -> Self {
        use avi_client::ErrorKind as K;
        let Err(e) = r else {
            return RequestResult::Success;
        };
        match (e.status(), e.kind()) {
            (Some(400..=499), _) => RequestResult::ClientError,
            (Some(500..=599), _) => RequestResult::ServerError,
            (_, K::Transport | K::Timeout) => RequestResult::Unreachable,
            _ => RequestResult::Error,
        }
    }

    /// The metric label value (`success`, `client_error`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestResult::Success => "success",
            RequestResult::ClientError => "client_error",
            RequestResult::ServerError => "server_error",
            RequestResult::Unreachable => "unreachable",
            RequestResult::Error => "error",
        }
    }
}

/// The controller requests a sync sent: how many per (object type, HTTP method, result).
///
/// Each call the engine makes to the client counts once, with its REST verb: a POST answered
/// 409 that is adopted counts the POST, the GET that reads the existing object and the PUT; a
/// 412 on PUT counts the PUT, the re-reading GET and the second PUT. The client's own retries of
/// one call (idempotent requests after a transport error or 5xx) and its re-logins happen inside
/// that call and are not counted separately; neither are the reads of the observed state
/// ([`crate::load_observed`]), which are not part of a sync.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Requests(BTreeMap<(ObjectType, &'static str, RequestResult), usize>);

impl Requests {
    /// Count `n` requests.
    pub fn add(&mut self, kind: ObjectType, method: &'static str, result: RequestResult, n: usize) {
        *self.0.entry((kind, method, result)).or_default() += n;
    }

    /// Add every count of `other`.
    pub fn extend(&mut self, other: &Requests) {
        for (kind, method, result, n) in other.iter() {
            self.add(kind, method, result, n);
        }
    }

    /// How many requests of this type, method and result were sent.
    pub fn get(&self, kind: ObjectType, method: &str, result: RequestResult) -> usize {
        self.iter()
            .filter(|&(k, m, r, _)| k == kind && m == method && r == result)
            .map(|(.., n)| n)
            .sum()
    }

    /// Every (type, method, result, count), ordered by type, method, result.
    pub fn iter(&self) -> impl Iterator<Item = (ObjectType, &'static str, RequestResult, usize)> + '_ {
        self.0.iter().map(|(&(k, m, r), &n)| (k, m, r, n))
    }

    /// Requests sent in all.
    pub fn total(&self) -> usize {
        self.0.values().sum()
    }
}

/// A list of `{"type", "method", "result", "count"}` (JSON object keys must be strings).
impl Serialize for Requests {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Row {
            r#type: &'static str,
            method: &'static str,
            result: RequestResult,
            count: usize,
        }
        s.collect_seq(self.iter().map(|(k, method, result, count)| Row {
            r#type: k.path(),
            method,
            result,
            count,
        }))
    }
}

/// The result of a sync.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Objects created (POST).
    pub created: usize,
    /// Objects updated (PUT), adoptions included.
    pub updated: usize,
    /// Objects deleted (DELETE, or already gone).
    pub deleted: usize,
    /// Desired objects that needed nothing.
    pub unchanged: usize,
    /// Operations not sent because one they depend on failed.
    pub skipped: usize,
    /// Garbage not deleted (collection off, protected model, or refused by the guard).
    pub kept: usize,
    /// Failed operations (after retries).
    pub failed: Vec<Failure>,
    /// The controller requests sent, every round included.
    pub requests: Requests,
    /// Set when the mass-deletion guard refused the deletes.
    pub refused: Option<GuardRefusal>,
    /// Problems with the desired state.
    pub problems: Vec<PlanProblem>,
    /// Plan/execute rounds run.
    pub rounds: u32,
    /// The controller holds the desired state: nothing failed, nothing refused, and a final plan
    /// is empty.
    pub converged: bool,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} created, {} updated, {} deleted, {} unchanged, {} failed",
            self.created,
            self.updated,
            self.deleted,
            self.unchanged,
            self.failed.len()
        )?;
        if self.skipped > 0 {
            write!(f, ", {} not sent (dependency failed)", self.skipped)?;
        }
        if self.kept > 0 {
            write!(f, ", {} not deleted", self.kept)?;
        }
        writeln!(f)?;
        for failure in &self.failed {
            writeln!(f, "FAILED {failure}")?;
        }
        if let Some(refused) = &self.refused {
            writeln!(f, "REFUSED: {refused}")?;
        }
        for p in &self.problems {
            writeln!(f, "problem: {p}")?;
        }
        Ok(())
    }
}
