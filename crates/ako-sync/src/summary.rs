//! What a sync did: counts per outcome, and for every failure the object, the model, the
//! Kubernetes objects behind that model, the controller's message and whether it is retried.

use std::fmt;

use serde::Serialize;

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
    /// Model key.
    pub model: String,
    /// The object.
    pub key: ObjectKey,
    /// `create`, `update` or `delete`.
    pub verb: &'static str,
    /// What went wrong (the controller's message when it answered).
    pub message: String,
    /// When it is retried.
    pub retry: Retry,
    /// Kubernetes objects of this model (`Service ns/name`), to attach the failure to.
    pub sources: Vec<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.verb, self.key, self.message)?;
        if !self.sources.is_empty() {
            write!(f, " [{}]", self.sources.join(", "))?;
        }
        Ok(())
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
