//! Authenticating a verifier's signed call: the signer must be an active
//! registered verifier, and the call is admitted by the nonce cache and the
//! verifier's rate limit ([`crate::auth`]). Done before the body is parsed.

use std::time::Instant;

use super::{now_secs, Node};
use crate::auth::{registered_verifier, verify_request, Caller, Headers};
use crate::error::ApiError;

/// A signed call as received: what the signature covers.
pub struct SignedCall<'a, H: Headers + ?Sized> {
    /// The method, as sent (`POST`).
    pub method: &'a str,
    /// The path and query, as sent (`/v1/requests`).
    pub target: &'a str,
    /// The exact body bytes received.
    pub body: &'a [u8],
    /// The request's headers (the four signature headers among them).
    pub headers: &'a H,
}

impl Node {
    /// The registered verifier that signed `call`, once the call is admitted
    /// (nonce unused, within its rate, within its share of the nonce cache).
    pub fn authenticate_verifier<H: Headers + ?Sized>(&self, call: SignedCall<'_, H>) -> Result<Caller, ApiError> {
        let view = self.view();
        self.authenticate(call, |key| registered_verifier(&view.registry, &self.authorities, key))
    }

    /// The key that signed `call`, whoever it is, once the call is admitted
    /// (nonce unused, within the key's rate and share of the nonce cache):
    /// for endpoints that decide per call what the key may do (the private
    /// layer's).
    pub fn authenticate_key<H: Headers + ?Sized>(&self, call: SignedCall<'_, H>) -> Result<[u8; 32], ApiError> {
        self.authenticate(call, |key| Ok(*key))
    }

    /// Checks `call`'s signature, asking `caller` who the key is first
    /// (its refusal stops the check), then admits the call.
    fn authenticate<C, H: Headers + ?Sized>(
        &self,
        call: SignedCall<'_, H>,
        caller: impl FnOnce(&[u8; 32]) -> Result<C, crate::auth::AuthError>,
    ) -> Result<C, ApiError> {
        let verified = verify_request(
            call.headers,
            call.method,
            call.target,
            call.body,
            now_secs(),
            self.config.signature_window.as_secs(),
            caller,
            &self.admission,
            Instant::now(),
        );
        self.metrics.set_seen_nonces(self.admission.len());
        Ok(verified?)
    }
}
