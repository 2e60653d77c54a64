//! Signed ledger transactions: issue, revoke, governance. The transaction
//! carries its own signature; the ledger checks the signer's role.

use actix_web::{web, HttpResponse};

use zkreg_registry::SignedTransaction;

use super::{blocking, Result};
use crate::dto::{SubmitTx, TxReceipt};
use crate::error::ApiError;
use crate::service::Node;

/// Submits a signed transaction (governance, issue, revoke, …; the
/// transaction carries its own ed25519 signature and the ledger checks the
/// signer's role) and answers once its block is on disk: 200 with the
/// receipt, or 422 with the receipt if the ledger refused the transaction
/// (its `code` and `message` say why; the refused transaction is recorded in
/// the block and changes nothing else).
#[utoipa::path(post, path = "/v1/transactions", tag = "regulator", request_body = SubmitTx,
    responses((status = 200, body = TxReceipt), (status = 422, description = "Refused by the ledger", body = TxReceipt)))]
pub async fn submit(node: web::Data<Node>, body: web::Json<SubmitTx>) -> Result<HttpResponse> {
    let bytes = hex::decode(body.tx.trim()).map_err(|_| ApiError::bad("bad_hex", "tx must be hex"))?;
    let tx = SignedTransaction::from_bytes(&bytes)?;
    let receipt = blocking(move || node.submit_and_wait(tx)).await?;
    let body = TxReceipt::from(&receipt);
    Ok(match receipt.error {
        None => HttpResponse::Ok().json(body),
        Some(_) => HttpResponse::UnprocessableEntity().json(body),
    })
}
