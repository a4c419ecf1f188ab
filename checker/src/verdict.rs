//! A verdict: how one exercise (or solution) was graded, and what the learner is told.

use serde::{Deserialize, Serialize};
use telemetry_document::Document;

use crate::compare::Difference;
use crate::kind::Cause;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    CompileError,
    /// cargo could not build it at all (its manifest, the workspace, the target folder,
    /// the build time limit): not a compile error in the learner's code.
    NotBuilt,
    Panic,
    Timeout,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::CompileError => "compile_error",
            Status::NotBuilt => "not_built",
            Status::Panic => "panic",
            Status::Timeout => "timeout",
        }
    }
}

/// The outcome of grading one crate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verdict {
    pub status: Status,
    /// One sentence: what happened.
    pub message: String,
    /// What the telemetry is missing, when it ran but differs.
    pub differences: Vec<Difference>,
    /// Mistakes recognised in what it emitted, with what usually causes them.
    pub likely_causes: Vec<Cause>,
    /// Compiler errors, the panic message, or the tail of stderr.
    pub details: Option<String>,
    /// The snapshot's YAML against the capture's, as a unified diff (`--verbose`).
    pub raw_diff: Option<String>,
    /// What the exercise emitted, when it ran.
    pub document: Option<Document>,
}

impl Verdict {
    pub(crate) fn new(status: Status, message: impl Into<String>) -> Self {
        Verdict {
            status,
            message: message.into(),
            differences: vec![],
            likely_causes: vec![],
            details: None,
            raw_diff: None,
            document: None,
        }
    }

    pub(crate) fn with_details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    pub fn passed(&self) -> bool {
        self.status == Status::Pass
    }

    pub(crate) fn with_document(mut self, document: Document) -> Self {
        self.document = Some(document);
        self
    }
}
