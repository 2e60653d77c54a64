//! Verifying presentations for the verifier that asked for them: each must
//! answer a request this node issued to that verifier (checked before
//! anything is spent); the Groth16 proofs of all of them go into one batch
//! equation; an accepted presentation spends its challenge.

use zkreg_verifier::{verify_presentations, Clock, Presentation, ProofRequest};

use super::requests::IssuedRequest;
use super::{now_secs, Node};
use crate::dto::Verification;
use crate::error::ApiError;
use crate::metrics::VERIFIED;

/// Most presentations in one batch.
pub const MAX_BATCH: usize = 256;

impl Node {
    /// The clock proofs are checked against: now, and how many days a
    /// proof's `today` may differ from the node's.
    pub fn clock(&self) -> Clock {
        Clock { now: now_secs(), day_tolerance: self.config.day_tolerance }
    }

    /// The request this node issued for `presentation`'s challenge, if
    /// `verifier` (its key) asked for it.
    fn issued_request(&self, verifier: &[u8; 32], presentation: &Presentation) -> Result<ProofRequest, ApiError> {
        let IssuedRequest { request, requester, .. } = self
            .requests
            .get(&presentation.challenge)?
            .ok_or_else(|| ApiError::NotVerified { code: "challenge_unknown", message: "challenge was not issued by this node".into() })?;
        if requester != *verifier {
            return Err(ApiError::Forbidden("this challenge answers another bank's request".into()));
        }
        Ok(request)
    }

    /// Verifies `presentations` (at most [`MAX_BATCH`]) for the verifier
    /// holding key `verifier`. One result per presentation, in order, each
    /// counted in the metrics by outcome.
    pub fn verify_presentations(
        &self,
        verifier: &[u8; 32],
        presentations: &[Presentation],
    ) -> Result<Vec<Result<Verification, ApiError>>, ApiError> {
        if presentations.len() > MAX_BATCH {
            return Err(ApiError::bad("batch_too_large", format!("at most {MAX_BATCH} presentations per batch")));
        }
        let mut results: Vec<Result<Verification, ApiError>> = Vec::with_capacity(presentations.len());
        let mut asked = Vec::new();
        for (at, p) in presentations.iter().enumerate() {
            match self.issued_request(verifier, p) {
                Ok(request) => {
                    asked.push((at, request));
                    // Replaced once the batch is verified.
                    results.push(Err(ApiError::internal("not verified")));
                }
                Err(e) => results.push(Err(e)),
            }
        }
        if !asked.is_empty() {
            let view = self.view();
            let predicate = self.predicate_verifier(&view)?;
            let ledger_view = self.ledger_view(&view);
            let items: Vec<_> = asked.iter().map(|(at, request)| (request, &presentations[*at])).collect();
            let verified =
                verify_presentations(&predicate, &items, &ledger_view, &self.requests, self.clock(), &mut rand::rngs::OsRng);
            for ((at, _), outcome) in asked.iter().zip(verified) {
                results[*at] = outcome.map(Verification::from).map_err(ApiError::from);
            }
        }
        for outcome in &results {
            let result = match outcome {
                Ok(_) => VERIFIED,
                Err(e) => e.code(),
            };
            self.metrics.record_verification(result);
            self.count_activity(super::stats::ActivityKind::Verification, result);
        }
        Ok(results)
    }
}
