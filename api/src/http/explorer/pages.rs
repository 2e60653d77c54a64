//! The explorer's pages but statistics ([`super::stats`]): each a function
//! from what the service answered to the page's content. Numbers sit in
//! elements with stable `data-*` attributes (`data-stat`, `data-height`,
//! `data-schema`, …) so that a test can compare them with the JSON API's.

use maud::{html, Markup};

use super::layout::{block_link, count, credential_link, short, time};
use super::stats::issuance_chart;
use crate::dto::stats::DailyStats;
use crate::dto::{ClusterStatus, Credential, Issuer, Schema, Stats, Status, Verifier, VerifyingKey};
use crate::service::explorer::{BlockDetail, BlockSummary, Signer, TxDetail};

/// What the overview shows.
pub struct Overview {
    /// `GET /v1/status`.
    pub status: Status,
    /// `GET /v1/stats`.
    pub stats: Stats,
    /// The latest blocks, newest first.
    pub blocks: Vec<BlockSummary>,
    /// Issuance per day over the last days.
    pub daily: DailyStats,
}

/// Issued, revoked and active over every schema.
fn totals(stats: &Stats) -> (u64, u64, u64) {
    stats.by_schema.iter().fold((0, 0, 0), |(i, r, a), t| (i + t.issued, r + t.revoked, a + t.active))
}

/// `/`: the chain's status, the totals, issuance per day, the latest blocks.
pub fn overview(o: &Overview) -> Markup {
    let (issued, revoked, active) = totals(&o.stats);
    let s = &o.status;
    html! {
        section.cards aria-label="status" {
            div.card { span.k { "Height" } span.v data-stat="height" { (block_link(s.height)) } }
            div.card { span.k { "Leaves in the tree" } span.v data-stat="leaf_count" { (count(s.leaf_count)) } }
            div.card { span.k { "Credentials issued" } span.v data-total="issued" { (count(issued)) } }
            div.card { span.k { "Revoked" } span.v data-total="revoked" { (count(revoked)) } }
            div.card { span.k { "Active" } span.v data-total="active" { (count(active)) } }
            div.card { span.k { "Root window" } span.v data-stat="root_window_blocks" { (s.root_window_blocks) " blocks" } }
        }
        dl.fields.tip {
            dt { "Chain" } dd data-stat="chain" { code { (s.chain_id) } }
            dt { "Tip hash" } dd { code.full data-stat="tip_hash" { (s.tip_hash) } }
            dt { "Tree root" } dd { code.full data-stat="root" { (s.root) } }
        }
        section #issuance {
            h2 { "Issuance per day" }
            (issuance_chart("overview-daily", &o.daily))
            p.more { a href="/stats" { "All statistics →" } }
        }
        section #latest-blocks {
            h2 { "Latest blocks" }
            (block_table(&o.blocks))
            p.more { a href="/blocks" { "All blocks →" } }
        }
    }
}

/// A table of block summaries.
fn block_table(blocks: &[BlockSummary]) -> Markup {
    html! {
        table.blocks {
            thead { tr { th.num { "Height" } th { "Time" } th.num { "Transactions" } th.num { "Leaves" } th { "Hash" } } }
            tbody {
                @for b in blocks {
                    tr data-height=(b.height) {
                        td.num { (block_link(b.height)) }
                        td { (time(b.time)) }
                        td.num data-stat="transactions" { (b.transactions) }
                        td.num data-stat="leaf_count" { (count(b.leaf_count)) }
                        td { (short(&b.hash)) }
                    }
                }
            }
        }
    }
}

/// `/blocks?before=H`: a page of blocks below `below`, newest first,
/// with links to the newest, newer and older pages.
pub fn blocks(blocks: &[BlockSummary], tip: u64, below: u64, per_page: u64) -> Markup {
    let newest = blocks.first().map(|b| b.height);
    let oldest = blocks.last().map(|b| b.height);
    html! {
        nav.pager aria-label="pages" {
            @if below <= tip { a href="/blocks" { "Newest" } }
            @if let Some(h) = newest.filter(|h| *h < tip) {
                a rel="prev" href={ "/blocks?before=" (h.saturating_add(per_page).saturating_add(1).min(tip.saturating_add(1))) } { "← Newer" }
            }
            @if let Some(h) = oldest.filter(|h| *h > 0) {
                a rel="next" href={ "/blocks?before=" (h) } { "Older →" }
            }
        }
        @if blocks.is_empty() {
            p.empty { "No block below this height." }
        } @else {
            (block_table(blocks))
        }
    }
}

/// Who signed, in words.
fn signer(tx: &TxDetail) -> Markup {
    let (name, role) = match &tx.signer {
        Signer::Authority => ("root authority".to_owned(), "governance"),
        Signer::Regulator(n) => (n.clone(), "regulator"),
        Signer::Verifier(n) => (n.clone(), "verifier"),
        Signer::Unknown => ("unregistered key".to_owned(), "key"),
    };
    html! {
        span.signer data-signer=(name) { (name) } " " span.role { (role) } br; (short(&tx.signer_key))
    }
}

/// `/blocks/{height}`: the header and each transaction with its receipt.
pub fn block(d: &BlockDetail, tip: u64) -> Markup {
    let b = &d.block;
    html! {
        nav.pager aria-label="blocks" {
            @if b.height > 0 { a rel="prev" href={ "/blocks/" (b.height - 1) } { "← Block " (b.height - 1) } }
            @if b.height < tip { a rel="next" href={ "/blocks/" (b.height + 1) } { "Block " (b.height + 1) " →" } }
        }
        dl.fields data-height=(b.height) {
            dt { "Height" } dd data-stat="height" { (b.height) }
            dt { "Time" } dd data-stat="time" data-value=(b.time) { (time(b.time)) }
            dt { "Hash" } dd { code.full data-stat="hash" { (b.hash) } }
            dt { "Previous hash" } dd {
                @if b.height > 0 { a href={ "/blocks/" (b.height - 1) } { code.full data-stat="prev_hash" { (b.prev_hash) } } }
                @else { code.full data-stat="prev_hash" { (b.prev_hash) } }
            }
            dt { "Transactions root" } dd { code.full data-stat="tx_root" { (b.tx_root) } }
            dt { "Commitment-tree root" } dd { code.full data-stat="tree_root" { (b.tree_root) } }
            dt { "Leaves after the block" } dd data-stat="leaf_count" { (count(b.leaf_count)) }
            dt { "Node signatures" } dd data-stat="signatures" { (b.signatures.len()) }
        }
        section #transactions {
            h2 { "Transactions (" span data-stat="transactions" { (d.transactions.len()) } ")" }
            @if d.transactions.is_empty() {
                p.empty { "No transaction in this block." }
            } @else {
                table.txs {
                    thead { tr { th.num { "#" } th { "Id" } th { "Kind" } th { "Signer" } th { "Details" } th { "Receipt" } } }
                    tbody {
                        @for (i, tx) in d.transactions.iter().enumerate() {
                            tr data-tx=(tx.id) {
                                td.num { (i) }
                                td { (short(&tx.id)) }
                                td { span.kind data-kind=(tx.kind) { (tx.kind) } }
                                td { (signer(tx)) }
                                td {
                                    @for (label, value) in &tx.fields {
                                        div.field { span.k { (label) } " " @if value.len() == 64 { (short(value)) } @else { (value) } }
                                    }
                                    @if let Some(cm) = &tx.commitment {
                                        div.field { span.k { "credential" } " " (credential_link(cm)) }
                                    }
                                }
                                td data-receipt=(tx.receipt.as_ref().map_or("missing", |r| if r.ok { "applied" } else { "refused" })) {
                                    @match &tx.receipt {
                                        None => span.badge.warn { "no receipt" },
                                        Some(r) if r.ok => {
                                            span.badge.ok { "applied" }
                                            @if let Some(leaf) = r.leaf_index { " " span.leaf data-leaf=(leaf) { "leaf " (leaf) } }
                                        }
                                        Some(r) => {
                                            span.badge.err data-code=(r.code.as_deref().unwrap_or("")) { (r.code.as_deref().unwrap_or("refused")) }
                                            @if let Some(m) = &r.message { div.message { (m) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !b.signatures.is_empty() {
            section #signatures {
                h2 { "Signatures of the header" }
                table {
                    thead { tr { th.num { "Node" } th { "Signature (ed25519)" } } }
                    tbody { @for s in &b.signatures { tr data-node=(s.node_id) { td.num { (s.node_id) } td { (short(&s.signature)) } } } }
                }
            }
        }
    }
}

/// What the registry page shows.
pub struct RegistryPage {
    /// `GET /v1/issuers`.
    pub issuers: Vec<Issuer>,
    /// `GET /v1/verifiers`.
    pub verifiers: Vec<Verifier>,
    /// `GET /v1/schemas`.
    pub schemas: Vec<Schema>,
    /// `GET /v1/verifying-keys`.
    pub keys: Vec<VerifyingKey>,
}

fn active(active: bool) -> Markup {
    html! { @if active { span.badge.ok { "active" } } @else { span.badge.muted { "retired" } } }
}

/// `/registry`: regulators with their schemas, verifiers, schemas, verifying keys.
pub fn registry(r: &RegistryPage) -> Markup {
    html! {
        section #regulators {
            h2 { "Regulators" }
            table {
                thead { tr { th { "Name" } th { "May issue" } th { "Status" } th.num { "Since" } th { "Key (ed25519)" } } }
                tbody {
                    @for i in &r.issuers {
                        tr data-regulator=(i.name) {
                            td { strong { (i.name) } }
                            td { @for s in &i.schemas { span.chip data-schema=(s) { (s) } " " } }
                            td { (active(i.active)) }
                            td.num { (block_link(i.since)) }
                            td { (short(&i.key)) }
                        }
                    }
                }
            }
        }
        section #verifiers {
            h2 { "Verifiers" }
            @if r.verifiers.is_empty() { p.empty { "No verifier is registered." } } @else {
                table {
                    thead { tr { th { "Name" } th { "Scopes" } th { "Status" } th.num { "Since" } th { "Key (ed25519)" } } }
                    tbody {
                        @for v in &r.verifiers {
                            tr data-verifier=(v.name) {
                                td { strong { (v.name) } }
                                td { code { (v.name) "/…" } }
                                td { (active(v.active)) }
                                td.num { (block_link(v.since)) }
                                td { (short(&v.key)) }
                            }
                        }
                    }
                }
            }
        }
        section #schemas {
            h2 { "Schemas" }
            table {
                thead { tr { th { "Name" } th { "What the value means" } th { "Issuers" } th.num { "Since" } } }
                tbody {
                    @for s in &r.schemas {
                        tr data-schema=(s.name) {
                            td { strong { (s.name) } }
                            td { @if s.description.is_empty() { span.empty { "—" } } @else { (s.description) } }
                            td { @for i in r.issuers.iter().filter(|i| i.active && i.schemas.contains(&s.name)) { span.chip { (i.name) } " " } }
                            td.num { (block_link(s.since)) }
                        }
                    }
                }
            }
        }
        section #verifying-keys {
            h2 { "Verifying keys" }
            @if r.keys.is_empty() { p.empty { "No verifying key is registered: Groth16 presentations cannot be verified yet." } } @else {
                table {
                    thead { tr { th { "Circuit" } th { "Fingerprint (SHA-256 of the key)" } th.num { "Size" } th.num { "Since" } } }
                    tbody {
                        @for k in &r.keys {
                            tr data-circuit=(k.circuit_id) {
                                td { code { (k.circuit_id) } }
                                td { code.full data-stat="fingerprint" { (k.fingerprint) } }
                                td.num { (count(k.key.len() as u64 / 2)) " B" }
                                td.num { (block_link(k.since)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The outcome of a credential look-up.
pub enum Lookup {
    /// No commitment asked for yet.
    Empty,
    /// The ledger knows it.
    Found {
        /// The commitment, normalised hex.
        commitment: String,
        /// Its public record.
        credential: Credential,
    },
    /// Well-formed, unknown to the ledger.
    NotFound {
        /// The commitment, normalised hex.
        commitment: String,
    },
    /// Not 32 bytes of hex.
    Malformed {
        /// What was typed.
        input: String,
        /// Why it is refused.
        message: String,
    },
}

/// `/credentials?commitment=HEX`: the form, and the credential's status.
pub fn credentials(lookup: &Lookup) -> Markup {
    let value = match lookup {
        Lookup::Empty => "",
        Lookup::Found { commitment, .. } | Lookup::NotFound { commitment } => commitment.as_str(),
        Lookup::Malformed { input, .. } => input.as_str(),
    };
    html! {
        form.lookup method="get" action="/credentials" {
            label for="commitment" { "Commitment" }
            input #commitment type="text" name="commitment" value=(value) placeholder="64 hex digits" spellcheck="false" autocomplete="off" required;
            button type="submit" { "Look up" }
        }
        p.note { "A commitment names a credential without saying anything about its holder or value: the ledger holds only commitments." }
        @match lookup {
            Lookup::Empty => {}
            Lookup::Malformed { message, .. } => section.error data-status="400" { p.message { (message) } },
            Lookup::NotFound { commitment } => section.error data-status="404" {
                p.message { "No credential with commitment " code { (commitment) } " is on the ledger." }
            },
            Lookup::Found { commitment, credential: c } => section.credential data-commitment=(commitment) {
                p {
                    @if c.status == "active" { span.badge.ok.big data-stat="status" { (c.status) } }
                    @else { span.badge.err.big data-stat="status" { (c.status) } }
                }
                dl.fields {
                    dt { "Commitment" } dd { code.full { (commitment) } }
                    dt { "Issuer" } dd data-stat="issuer" { (c.issuer) }
                    dt { "Schema" } dd data-stat="schema" { (c.schema) }
                    dt { "Backend" } dd { span data-stat="backend" { (c.backend) } @if c.backend == "bulletproofs" { span.note { " (a registered Pedersen commitment: its presentations are linkable)" } } }
                    dt { "Issued at height" } dd data-stat="issued_at" { (block_link(c.issued_at)) }
                    dt { "Revoked at height" } dd data-stat="revoked_at" { @if let Some(h) = c.revoked_at { (block_link(h)) } @else { "—" } }
                    @if let Some(leaf) = c.leaf_index { dt { "Leaf" } dd data-stat="leaf_index" { (leaf) } }
                    @if let Some(day) = c.expiry { dt { "Valid until" } dd data-stat="expiry" data-value=(day) { (time(u64::from(day) * 86_400)[..10]) } }
                }
            },
        }
    }
}

/// `/cluster`: the members, the leader, the term and each member's lag; or
/// that this node runs alone.
pub fn cluster(status: Option<&ClusterStatus>) -> Markup {
    html! {
        @match status {
            None => section.single {
                p.big data-stat="mode" { "single node" }
                p { "This node runs alone: it orders and applies its own blocks. There is no cluster, leader or replication lag to show." }
            },
            Some(c) => {
                section.cards aria-label="cluster" {
                    div.card { span.k { "This node" } span.v data-stat="node_id" { (c.node_id) } }
                    div.card { span.k { "State" } span.v data-stat="state" { (c.state) } }
                    div.card { span.k { "Leader" } span.v data-stat="leader" { @if let Some(l) = c.leader { (l) } @else { "none" } } }
                    div.card { span.k { "Term" } span.v data-stat="term" { (c.term) } }
                }
                dl.fields {
                    dt { "Leader's address" } dd data-stat="leader_addr" { (c.leader_addr.as_deref().unwrap_or("unknown")) }
                    dt { "Last log index" } dd data-stat="last_log_index" { (opt(c.last_log_index)) }
                    dt { "Applied index" } dd data-stat="applied_index" { (opt(c.applied_index)) }
                    dt { "Committed index" } dd data-stat="commit_index" { (opt(c.commit_index)) @if c.commit_index.is_none() { span.note { " (known on the leader)" } } }
                }
                h2 { "Members" }
                table {
                    thead { tr { th.num { "Id" } th { "Address" } th { "Role" } th.num { "Lag (entries)" } } }
                    tbody {
                        @for m in &c.members {
                            tr data-member=(m.id) {
                                td.num { (m.id) }
                                td { code { (m.addr) } }
                                td {
                                    @if Some(m.id) == c.leader { span.badge.ok { "leader" } " " }
                                    @if m.voter { "voter" } @else { "learner" }
                                }
                                td.num data-stat="lag" { (opt(m.lag)) }
                            }
                        }
                    }
                }
                @if c.members.iter().all(|m| m.lag.is_none()) { p.note { "Each member's lag is known on the leader only." } }
            }
        }
    }
}

fn opt(v: Option<u64>) -> String {
    v.map_or_else(|| "—".to_owned(), count)
}
