//! The genesis file: chain id, root authorities and their approval
//! threshold, schemas, initial regulators, and the root-history window.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::LedgerError;
use crate::tx::{check_name, strict_key, Hash};

/// A schema registered at genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisSchema {
    /// The schema's name.
    pub name: String,
    /// What the value means.
    #[serde(default)]
    pub description: String,
}

/// A regulator registered at genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisRegulator {
    /// The regulator's name.
    pub name: String,
    /// Its ed25519 key, hex.
    pub key: String,
    /// Schemas it may issue.
    pub schemas: Vec<String>,
}

/// A node of the consortium: its signature of a block header counts
/// toward the majority a wallet needs before it accepts that block's root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisNode {
    /// The node's id in the cluster.
    pub id: u64,
    /// Its ed25519 key, hex.
    pub key: String,
}

/// The genesis of a chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// The chain's identifier; every transaction names it.
    pub chain_id: String,
    /// Unix time (seconds) of the genesis block.
    pub time: u64,
    /// Root authorities' ed25519 keys, hex.
    pub root_authorities: Vec<String>,
    /// How many distinct root authorities must sign a governance change.
    pub approval_threshold: usize,
    /// Number of recent blocks whose roots verifiers accept (the revocation latency).
    pub root_window: u64,
    /// Schemas.
    pub schemas: Vec<GenesisSchema>,
    /// Initial regulators.
    pub regulators: Vec<GenesisRegulator>,
    /// The consortium's nodes (none: a chain whose headers nobody attests,
    /// e.g. a single node).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consortium: Vec<GenesisNode>,
    /// Blocks a governance proposal stays open for approvals after the
    /// block that proposed it; later it expires unapplied
    /// ([`crate::governance`]). Not written when it is the default, so a
    /// genesis file from before proposals keeps its hash.
    #[serde(default = "default_proposal_ttl", skip_serializing_if = "is_default_proposal_ttl")]
    pub proposal_ttl_blocks: u64,
}

fn default_proposal_ttl() -> u64 {
    crate::governance::DEFAULT_PROPOSAL_TTL_BLOCKS
}

fn is_default_proposal_ttl(blocks: &u64) -> bool {
    *blocks == crate::governance::DEFAULT_PROPOSAL_TTL_BLOCKS
}

/// Parses 64 hex digits into a strict ed25519 public key.
pub fn parse_key(hex_key: &str) -> Result<[u8; 32], String> {
    let bytes: [u8; 32] = hex::decode(hex_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("`{hex_key}` is not 32 bytes of hex"))?;
    strict_key(&bytes).map_err(|e| format!("key {hex_key}: {e}"))?;
    Ok(bytes)
}

impl Genesis {
    /// A development genesis: one root authority (threshold 1) and one
    /// regulator authorised for every listed schema.
    pub fn development(
        chain_id: &str,
        time: u64,
        authority: &[u8; 32],
        regulator: (&str, &[u8; 32]),
        schemas: &[&str],
        root_window: u64,
    ) -> Self {
        Genesis {
            chain_id: chain_id.into(),
            time,
            root_authorities: vec![hex::encode(authority)],
            approval_threshold: 1,
            root_window,
            schemas: schemas.iter().map(|s| GenesisSchema { name: (*s).into(), description: String::new() }).collect(),
            regulators: vec![GenesisRegulator {
                name: regulator.0.into(),
                key: hex::encode(regulator.1),
                schemas: schemas.iter().map(|s| (*s).into()).collect(),
            }],
            consortium: Vec::new(),
            proposal_ttl_blocks: default_proposal_ttl(),
        }
    }

    /// Checks the genesis: names, keys, threshold, references.
    pub fn validate(&self) -> Result<(), LedgerError> {
        let err = |m: String| LedgerError::Genesis(m);
        check_name(&self.chain_id).map_err(|e| err(e.to_string()))?;
        let authorities = self.authority_keys().map_err(err)?;
        if authorities.is_empty() {
            return Err(err("at least one root authority is needed".into()));
        }
        if self.approval_threshold == 0 || self.approval_threshold > authorities.len() {
            return Err(err(format!("approval threshold must be 1..={}", authorities.len())));
        }
        if self.root_window == 0 {
            return Err(err("root_window must be at least 1".into()));
        }
        if self.proposal_ttl_blocks == 0 {
            return Err(err("proposal_ttl_blocks must be at least 1".into()));
        }
        let mut names = std::collections::BTreeSet::new();
        for s in &self.schemas {
            check_name(&s.name).map_err(|e| err(e.to_string()))?;
            if !names.insert(s.name.as_str()) {
                return Err(err(format!("schema `{}` listed twice", s.name)));
            }
        }
        let mut regulators = std::collections::BTreeSet::new();
        for r in &self.regulators {
            check_name(&r.name).map_err(|e| err(e.to_string()))?;
            parse_key(&r.key).map_err(err)?;
            if !regulators.insert(r.name.as_str()) {
                return Err(err(format!("regulator `{}` listed twice", r.name)));
            }
            for s in &r.schemas {
                if !names.contains(s.as_str()) {
                    return Err(err(format!("regulator `{}` names unknown schema `{s}`", r.name)));
                }
            }
        }
        self.consortium_keys().map_err(err)?;
        Ok(())
    }

    /// The consortium's node keys by node id (ids and keys distinct).
    pub fn consortium_keys(&self) -> Result<std::collections::BTreeMap<u64, [u8; 32]>, String> {
        let mut keys = std::collections::BTreeMap::new();
        for n in &self.consortium {
            let key = parse_key(&n.key)?;
            if keys.values().any(|k| *k == key) {
                return Err(format!("consortium key {} listed twice", n.key));
            }
            if keys.insert(n.id, key).is_some() {
                return Err(format!("consortium node {} listed twice", n.id));
            }
        }
        Ok(keys)
    }

    /// The root authorities' keys.
    pub fn authority_keys(&self) -> Result<Vec<[u8; 32]>, String> {
        self.root_authorities.iter().map(|k| parse_key(k)).collect()
    }

    /// SHA-256 of the genesis' canonical JSON (the genesis block's transaction root).
    pub fn hash(&self) -> Hash {
        let json = serde_json::to_vec(self).unwrap_or_else(|e| unreachable!("genesis serialises: {e}"));
        Sha256::new().chain_update(zkreg_circuits::constants::GENESIS_DOMAIN).chain_update(json).finalize().into()
    }
}
