//! `zkreg governance propose|approve|list`: governance proposals on the
//! ledger. One root authority proposes a change (the changes `zkreg
//! verifier` and the genesis make: regulators, schemas, verifying keys,
//! verifiers); the others approve it, each with a transaction of its own,
//! from wherever they are; the change applies in the block of the approval
//! that reaches the genesis threshold, and a proposal not completed within
//! the genesis' `proposal_ttl_blocks` expires (`registry/src/governance.rs`).

use std::path::Path;

use anyhow::Context;
use ark_serialize::CanonicalSerialize;
use serde_json::json;

use zkreg_api::client::Client;
use zkreg_api::dto::{Proposal, ProposalState};
use zkreg_circuits::ids::TxId;
use zkreg_registry::governance::GovernanceChange;
use zkreg_registry::TxBody;

use super::verifier::public_key_arg;
use crate::args::{ChangeCommand, Governance};
use crate::files::read_key;
use crate::output::print;

/// The change a `zkreg governance propose` subcommand describes.
pub fn change(what: ChangeCommand) -> anyhow::Result<GovernanceChange> {
    Ok(match what {
        ChangeCommand::RegisterRegulator { name, regulator_key, schemas } => {
            GovernanceChange::RegisterRegulator { name, key: public_key_arg(&regulator_key)?, schemas }
        }
        ChangeCommand::RetireRegulator { name } => GovernanceChange::RetireRegulator { name },
        ChangeCommand::RegisterSchema { name, description } => GovernanceChange::RegisterSchema { name, description },
        ChangeCommand::RegisterVerifyingKey { keys, circuit_id } => verifying_key(&keys, circuit_id)?,
        ChangeCommand::RegisterVerifier { name, verifier_key } => GovernanceChange::RegisterVerifier { name, key: public_key_arg(&verifier_key)? },
        ChangeCommand::RetireVerifier { name } => GovernanceChange::RetireVerifier { name },
    })
}

/// The registration of the verifying key in `keys` (`zkreg setup` or
/// `zkreg ceremony finalize` wrote it) under `circuit_id`.
fn verifying_key(keys: &Path, circuit_id: String) -> anyhow::Result<GovernanceChange> {
    let path = keys.join(zkreg_prover::keys::VERIFYING_KEY_FILE);
    let vk = zkreg_prover::keys::load_verifying_key(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut key = Vec::new();
    vk.serialize_compressed(&mut key)?;
    Ok(GovernanceChange::RegisterVerifyingKey { circuit_id, fingerprint: zkreg_circuits::fingerprint::fingerprint(&vk), key })
}

/// `zkreg governance propose`: proposes `change`, signed by `g.key` (and
/// approved at once by any `--approver`); prints the proposal's id.
pub fn propose(g: &Governance, change: GovernanceChange) -> anyhow::Result<()> {
    let (client, receipt) = submit(g, TxBody::Propose { change })?;
    let id: TxId = receipt.parse().with_context(|| format!("the node answered with a malformed transaction id {receipt:?}"))?;
    let proposal = client.proposal(&id)?;
    print(g.json, json!(proposal), || format!("proposed {}", describe(&proposal)));
    Ok(())
}

/// `zkreg governance approve`: approves proposal `id`, signed by `g.key`
/// (and any `--approver`); prints where the proposal stands after it.
pub fn approve(g: &Governance, id: &str) -> anyhow::Result<()> {
    let id: TxId = id.parse().map_err(|_| anyhow::anyhow!("--proposal is a proposal id: 64 hex digits"))?;
    let (client, _) = submit(g, TxBody::Approve { proposal: id.0 })?;
    let proposal = client.proposal(&id)?;
    print(g.json, json!(proposal), || format!("approved {}", describe(&proposal)));
    Ok(())
}

/// `zkreg governance list`: the ledger's proposals (those with `status`
/// only, if given), oldest first.
pub fn list(node: &str, status: Option<ProposalState>, json: bool) -> anyhow::Result<()> {
    let proposals = Client::new(node).proposals(status)?;
    print(json, json!(proposals), || {
        if proposals.is_empty() {
            return "no proposals".to_owned();
        }
        proposals.iter().map(describe).collect::<Vec<_>>().join("\n")
    });
    Ok(())
}

/// Signs `body` with `g.key` and the approvers' keys and submits it;
/// answers with the client and the transaction's id once it is applied.
fn submit(g: &Governance, body: TxBody) -> anyhow::Result<(Client, String)> {
    let key = read_key(&g.key)?;
    let approvers = g.approvers.iter().map(|p| read_key(p)).collect::<anyhow::Result<Vec<_>>>()?;
    let client = Client::new(&g.node);
    let receipt = client.submit_approved(&client.chain_id()?, &key, &approvers, body)?;
    Ok((client, receipt.tx_id))
}

/// One line about a proposal.
fn describe(p: &Proposal) -> String {
    let standing = match p.status {
        ProposalState::Pending => format!("pending, open until block {}", p.expires_at),
        ProposalState::Applied => format!("applied in block {}", p.applied_at.unwrap_or(p.proposed_at)),
        ProposalState::Expired => format!("expired after block {}", p.expires_at),
    };
    format!(
        "{} {} `{}`: {} of {} approvals, {standing} (proposed in block {})",
        p.id,
        p.change.kind,
        p.change.subject,
        p.approvals.len(),
        p.approvals_needed,
        p.proposed_at
    )
}
