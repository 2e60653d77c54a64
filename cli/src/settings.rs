//! `zkreg node`'s settings: command-line flags, environment variables and a
//! TOML file, resolved into a [`NodeConfig`].
//!
//! Each setting is taken from the first place that has it: the flag, then
//! the environment variable, then the file (`--config`, or `ZKREG_CONFIG`),
//! then the default of [`NodeConfig::new`]. A key the file does not know is
//! an error that names it, so a misspelt setting is never silently ignored.
//! Relative paths in the file are relative to the file's directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

use zkreg_api::NodeConfig;

/// The node's settings as given in one place (flags, environment or file);
/// `None` where that place does not set it.
///
/// The same struct is the `zkreg node` flags (clap) and the file's keys
/// (serde), so the two cannot drift apart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct NodeSettings {
    /// Data directory (sled) [env: ZKREG_DATA_DIR] [default: zkreg-data].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Genesis file, needed for a new data directory [env: ZKREG_GENESIS].
    #[arg(long)]
    pub genesis: Option<PathBuf>,
    /// Address to listen on [env: ZKREG_LISTEN] [default: 127.0.0.1:8080].
    #[arg(long)]
    pub listen: Option<String>,
    /// Cut a block at least this often, in milliseconds [env: ZKREG_BLOCK_MS] [default: 50].
    #[arg(long)]
    pub block_ms: Option<u64>,
    /// Largest request body accepted, in bytes [env: ZKREG_MAX_BODY_BYTES] [default: 262144].
    #[arg(long)]
    pub max_body_bytes: Option<usize>,
    /// How many days a proof's `today` may differ from the node's [env: ZKREG_DAY_TOLERANCE] [default: 1].
    #[arg(long)]
    pub day_tolerance: Option<u32>,
    /// How long a submitted transaction may wait for its block, in
    /// milliseconds [env: ZKREG_COMMIT_TIMEOUT_MS] [default: 10000].
    #[arg(long)]
    pub commit_timeout_ms: Option<u64>,
    /// How far a signed request's timestamp may be from the node's clock,
    /// in seconds [env: ZKREG_SIGNATURE_WINDOW_S] [default: 300].
    #[arg(long)]
    pub signature_window_s: Option<u64>,
    /// Most (key, nonce) pairs of signed requests remembered at once
    /// [env: ZKREG_MAX_SEEN_NONCES] [default: 1000000].
    #[arg(long)]
    pub max_seen_nonces: Option<usize>,
    /// Most (key, nonce) pairs one verifier's key may hold in that cache
    /// [env: ZKREG_MAX_SEEN_NONCES_PER_KEY] [default: 50000].
    #[arg(long)]
    pub max_seen_nonces_per_key: Option<usize>,
    /// Signed calls per second each verifier may make, sustained
    /// [env: ZKREG_VERIFIER_RATE_PER_S] [default: 50].
    #[arg(long)]
    pub verifier_rate_per_s: Option<u32>,
    /// Signed calls each verifier may make at once, above its rate
    /// [env: ZKREG_VERIFIER_BURST] [default: 100].
    #[arg(long)]
    pub verifier_burst: Option<u32>,
    /// Most open (unexpired, unanswered) proof requests per verifier
    /// [env: ZKREG_MAX_OPEN_REQUESTS] [default: 10000].
    #[arg(long)]
    pub max_open_requests: Option<usize>,
    /// Largest `POST /v1/requests` body accepted, in bytes
    /// [env: ZKREG_MAX_REQUEST_BODY_BYTES] [default: 16384].
    #[arg(long)]
    pub max_request_body_bytes: Option<usize>,
    /// Run as a replica of a consortium cluster with this node id (unique,
    /// never reused); without it the node runs alone [env: ZKREG_NODE_ID].
    #[arg(long)]
    pub node_id: Option<u64>,
    /// File holding the cluster secret (64 hex digits) every member shares;
    /// needed with --node-id [env: ZKREG_CLUSTER_SECRET_FILE].
    #[arg(long)]
    pub cluster_secret_file: Option<PathBuf>,
    /// `host:port` where the other members reach this node [env:
    /// ZKREG_ADVERTISE] [default: the --listen address].
    #[arg(long)]
    pub advertise: Option<String>,
    /// The first voters, `id=host:port` separated by commas (this node
    /// among them); the member with the lowest id initialises the cluster
    /// on its first start. Leave it out on a node that joins later as a
    /// learner (`zkreg cluster add-learner`) [env: ZKREG_PEERS].
    #[arg(long)]
    pub peers: Option<String>,
    /// Raft entries applied between two snapshots of the chain (the log
    /// before a snapshot is purged; a new or far-behind member is sent the
    /// snapshot) [env: ZKREG_SNAPSHOT_AFTER] [default: 1000].
    #[arg(long)]
    pub snapshot_after: Option<u64>,
    /// This node's key file (`zkreg keys`): it signs the header of every
    /// block it applies; the genesis' consortium must list its public key
    /// under --node-id [env: ZKREG_NODE_KEY_FILE].
    #[arg(long)]
    pub node_key_file: Option<PathBuf>,
    /// Keep this regulator's private records: its key file (the node signs
    /// its audit-log anchors and grants with it). Needs a data key
    /// [env: ZKREG_REGULATOR_KEY_FILE].
    #[arg(long)]
    pub regulator_key_file: Option<PathBuf>,
    /// The data keyring sealing the private records (`zkreg record
    /// new-key`); re-read on `zkreg record rotate` [env: ZKREG_DATA_KEY_FILE].
    #[arg(long)]
    pub data_key_file: Option<PathBuf>,
    /// The data keyring itself, from the environment only
    /// (ZKREG_DATA_KEY: 64 hex digits, or `n:hex,n:hex`).
    #[arg(skip)]
    #[serde(skip)]
    pub data_key: DataKeyText,
}

/// Keyring text from the environment: never shown by `Debug`, zeroed on drop.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct DataKeyText(pub Option<zeroize::Zeroizing<String>>);

impl std::fmt::Debug for DataKeyText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Some(<redacted>)" } else { "None" })
    }
}

/// The environment variable of the configuration file's path.
pub const CONFIG_ENV: &str = "ZKREG_CONFIG";

/// Default data directory.
pub const DEFAULT_DATA_DIR: &str = "zkreg-data";

/// Default listening address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// A resolved node configuration and the address to listen on.
#[derive(Debug)]
pub struct ResolvedNode {
    /// The node's configuration (genesis file read).
    pub config: NodeConfig,
    /// Address to listen on.
    pub listen: String,
}

impl NodeSettings {
    /// Reads the settings of a TOML file; relative paths become relative to
    /// the file's directory.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading the configuration file {}", path.display()))?;
        let mut settings = Self::from_toml(&text).with_context(|| format!("in the configuration file {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new(""));
        let paths = [
            &mut settings.data_dir,
            &mut settings.genesis,
            &mut settings.cluster_secret_file,
            &mut settings.node_key_file,
            &mut settings.regulator_key_file,
            &mut settings.data_key_file,
        ];
        for p in paths.into_iter().flatten() {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(settings)
    }

    /// Parses TOML text; an unknown key or a value of the wrong type is an
    /// error naming the key.
    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        toml::from_str(text).map_err(|e| anyhow::anyhow!("{}: {}", describe_toml_error(text, &e), e.message().trim_end()))
    }

    /// Reads the `ZKREG_*` variables through `var` (the process environment
    /// in `main`, a map in tests). A variable that does not parse is an
    /// error naming it. An empty variable counts as unset.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        fn parsed<T: std::str::FromStr>(var: &impl Fn(&str) -> Option<String>, name: &str) -> anyhow::Result<Option<T>>
        where
            T::Err: std::fmt::Display,
        {
            var(name)
                .map(|v| v.trim().parse::<T>().map_err(|e| anyhow::anyhow!("{name}={v:?}: {e}")))
                .transpose()
        }
        Ok(NodeSettings {
            data_dir: var("ZKREG_DATA_DIR").map(PathBuf::from),
            genesis: var("ZKREG_GENESIS").map(PathBuf::from),
            listen: var("ZKREG_LISTEN"),
            block_ms: parsed(&var, "ZKREG_BLOCK_MS")?,
            max_body_bytes: parsed(&var, "ZKREG_MAX_BODY_BYTES")?,
            day_tolerance: parsed(&var, "ZKREG_DAY_TOLERANCE")?,
            commit_timeout_ms: parsed(&var, "ZKREG_COMMIT_TIMEOUT_MS")?,
            signature_window_s: parsed(&var, "ZKREG_SIGNATURE_WINDOW_S")?,
            max_seen_nonces: parsed(&var, "ZKREG_MAX_SEEN_NONCES")?,
            max_seen_nonces_per_key: parsed(&var, "ZKREG_MAX_SEEN_NONCES_PER_KEY")?,
            verifier_rate_per_s: parsed(&var, "ZKREG_VERIFIER_RATE_PER_S")?,
            verifier_burst: parsed(&var, "ZKREG_VERIFIER_BURST")?,
            max_open_requests: parsed(&var, "ZKREG_MAX_OPEN_REQUESTS")?,
            max_request_body_bytes: parsed(&var, "ZKREG_MAX_REQUEST_BODY_BYTES")?,
            node_id: parsed(&var, "ZKREG_NODE_ID")?,
            cluster_secret_file: var("ZKREG_CLUSTER_SECRET_FILE").map(PathBuf::from),
            advertise: var("ZKREG_ADVERTISE"),
            peers: var("ZKREG_PEERS"),
            snapshot_after: parsed(&var, "ZKREG_SNAPSHOT_AFTER")?,
            node_key_file: var("ZKREG_NODE_KEY_FILE").map(PathBuf::from),
            regulator_key_file: var("ZKREG_REGULATOR_KEY_FILE").map(PathBuf::from),
            data_key_file: var("ZKREG_DATA_KEY_FILE").map(PathBuf::from),
            data_key: DataKeyText(var("ZKREG_DATA_KEY").map(zeroize::Zeroizing::new)),
        })
    }

    /// Each setting from `self`, or else from `lower`.
    pub fn or(self, lower: NodeSettings) -> NodeSettings {
        NodeSettings {
            data_dir: self.data_dir.or(lower.data_dir),
            genesis: self.genesis.or(lower.genesis),
            listen: self.listen.or(lower.listen),
            block_ms: self.block_ms.or(lower.block_ms),
            max_body_bytes: self.max_body_bytes.or(lower.max_body_bytes),
            day_tolerance: self.day_tolerance.or(lower.day_tolerance),
            commit_timeout_ms: self.commit_timeout_ms.or(lower.commit_timeout_ms),
            signature_window_s: self.signature_window_s.or(lower.signature_window_s),
            max_seen_nonces: self.max_seen_nonces.or(lower.max_seen_nonces),
            max_seen_nonces_per_key: self.max_seen_nonces_per_key.or(lower.max_seen_nonces_per_key),
            verifier_rate_per_s: self.verifier_rate_per_s.or(lower.verifier_rate_per_s),
            verifier_burst: self.verifier_burst.or(lower.verifier_burst),
            max_open_requests: self.max_open_requests.or(lower.max_open_requests),
            max_request_body_bytes: self.max_request_body_bytes.or(lower.max_request_body_bytes),
            node_id: self.node_id.or(lower.node_id),
            cluster_secret_file: self.cluster_secret_file.or(lower.cluster_secret_file),
            advertise: self.advertise.or(lower.advertise),
            peers: self.peers.or(lower.peers),
            snapshot_after: self.snapshot_after.or(lower.snapshot_after),
            node_key_file: self.node_key_file.or(lower.node_key_file),
            regulator_key_file: self.regulator_key_file.or(lower.regulator_key_file),
            data_key_file: self.data_key_file.or(lower.data_key_file),
            data_key: DataKeyText(self.data_key.0.or(lower.data_key.0)),
        }
    }

    /// Merges flags over the environment over the file (`config`, or the
    /// file named by `ZKREG_CONFIG`) over the defaults.
    pub fn resolve(flags: NodeSettings, config: Option<&Path>, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<NodeSettings> {
        let env = Self::from_env(&var)?;
        let file_path = config.map(Path::to_path_buf).or_else(|| var(CONFIG_ENV).map(PathBuf::from));
        let file = file_path.as_deref().map(Self::from_file).transpose()?.unwrap_or_default();
        Ok(flags.or(env).or(file))
    }

    /// The node configuration these settings describe, with defaults for
    /// what they leave out; reads the genesis file if one is named.
    pub fn into_node(self, read_genesis: impl Fn(&Path) -> anyhow::Result<zkreg_registry::Genesis>) -> anyhow::Result<ResolvedNode> {
        let positive = |name: &str, v: Option<u64>| -> anyhow::Result<Option<u64>> {
            match v {
                Some(0) => anyhow::bail!("{name} must be at least 1"),
                v => Ok(v),
            }
        };
        let genesis = self.genesis.as_deref().map(&read_genesis).transpose()?;
        let mut config = NodeConfig::new(self.data_dir.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)), genesis);
        if let Some(ms) = positive("block_ms", self.block_ms)? {
            config.block_interval = Duration::from_millis(ms);
        }
        if let Some(bytes) = positive("max_body_bytes", self.max_body_bytes.map(|b| b as u64))? {
            config.max_body_bytes = bytes as usize;
        }
        if let Some(days) = self.day_tolerance {
            config.day_tolerance = days;
        }
        if let Some(ms) = positive("commit_timeout_ms", self.commit_timeout_ms)? {
            config.commit_timeout = Duration::from_millis(ms);
        }
        if let Some(s) = positive("signature_window_s", self.signature_window_s)? {
            config.signature_window = Duration::from_secs(s);
        }
        if let Some(n) = positive("max_seen_nonces", self.max_seen_nonces.map(|n| n as u64))? {
            config.max_seen_nonces = n as usize;
        }
        if let Some(n) = positive("max_seen_nonces_per_key", self.max_seen_nonces_per_key.map(|n| n as u64))? {
            config.max_seen_nonces_per_key = n as usize;
        }
        if let Some(n) = positive("verifier_rate_per_s", self.verifier_rate_per_s.map(u64::from))? {
            config.verifier_rate_per_s = n as u32;
        }
        if let Some(n) = positive("verifier_burst", self.verifier_burst.map(u64::from))? {
            config.verifier_burst = n as u32;
        }
        if let Some(n) = positive("max_open_requests", self.max_open_requests.map(|n| n as u64))? {
            config.max_open_requests = n as usize;
        }
        if let Some(bytes) = positive("max_request_body_bytes", self.max_request_body_bytes.map(|b| b as u64))? {
            config.max_request_body_bytes = bytes as usize;
        }
        let listen = self.listen.unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let snapshot_after = positive("snapshot_after", self.snapshot_after)?;
        config.cluster = match (self.node_id, self.cluster_secret_file, self.peers) {
            (None, None, None) if self.advertise.is_none() && snapshot_after.is_none() && self.node_key_file.is_none() => None,
            (None, _, _) => anyhow::bail!("cluster settings (cluster_secret_file, advertise, peers, snapshot_after, node_key_file) need node_id"),
            (Some(_), None, _) => anyhow::bail!("node_id needs cluster_secret_file (the secret every member shares)"),
            (Some(id), Some(secret_file), peers) => {
                let secret = crate::files::read_cluster_secret(&secret_file)?;
                let mut cluster = zkreg_api::ClusterConfig::new(id, self.advertise.unwrap_or_else(|| listen.clone()), secret);
                if let Some(n) = snapshot_after {
                    cluster.snapshot_after = n;
                }
                if let Some(path) = &self.node_key_file {
                    cluster.node_key = Some(crate::files::read_key(path)?);
                }
                if let Some(peers) = peers {
                    cluster.peers = parse_peers(&peers)?;
                    if !cluster.peers.contains_key(&id) {
                        anyhow::bail!("peers must name this node ({id}) too");
                    }
                }
                Some(cluster)
            }
        };
        config.private = match (self.regulator_key_file, self.data_key_file, self.data_key.0) {
            (None, None, None) => None,
            (None, _, _) => anyhow::bail!("a data key (data_key_file or ZKREG_DATA_KEY) needs regulator_key_file: whose records would the node keep?"),
            (Some(_), None, None) => anyhow::bail!("regulator_key_file needs a data key: data_key_file or ZKREG_DATA_KEY"),
            (Some(_), Some(_), Some(_)) => anyhow::bail!("give the data key once: data_key_file or ZKREG_DATA_KEY, not both"),
            (Some(key_file), file, text) => {
                let text = match (&file, text) {
                    (Some(path), _) => zeroize::Zeroizing::new(
                        std::fs::read_to_string(path).with_context(|| format!("reading the data keyring {}", path.display()))?,
                    ),
                    (None, Some(text)) => text,
                    (None, None) => unreachable!("matched above"),
                };
                let keyring = zkreg_registry::private::Keyring::parse(&text).context("the data keyring")?;
                let key = crate::files::read_key(&key_file)?;
                Some(zkreg_api::service::private::PrivateConfig { issuer: String::new(), key, keyring, keyring_file: file })
            }
        };
        Ok(ResolvedNode { config, listen })
    }
}

/// `id=host:port,id=host:port`.
pub fn parse_peers(text: &str) -> anyhow::Result<std::collections::BTreeMap<u64, String>> {
    let mut peers = std::collections::BTreeMap::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (id, addr) = item.split_once('=').ok_or_else(|| anyhow::anyhow!("peer `{item}` is not id=host:port"))?;
        let id: u64 = id.trim().parse().map_err(|e| anyhow::anyhow!("peer `{item}`: the id: {e}"))?;
        let addr = addr.trim();
        if addr.parse::<std::net::SocketAddr>().is_err() && !addr.contains(':') {
            anyhow::bail!("peer `{item}`: `{addr}` is not host:port");
        }
        if peers.insert(id, addr.to_owned()).is_some() {
            anyhow::bail!("peer {id} is named twice");
        }
    }
    if peers.is_empty() {
        anyhow::bail!("peers names no node");
    }
    Ok(peers)
}

/// "line N" of a TOML error, when it has a position.
fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => format!("line {}", text[..span.start.min(text.len())].matches('\n').count() + 1),
        None => "the file".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    fn no_genesis(_: &Path) -> anyhow::Result<zkreg_registry::Genesis> {
        anyhow::bail!("no genesis in these tests")
    }

    fn write_config(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("node.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn flag_over_environment_over_file_over_default() {
        let dir = tempfile::tempdir().unwrap();
        let file = write_config(
            dir.path(),
            "data_dir = \"data\"\nlisten = \"127.0.0.1:9000\"\nblock_ms = 200\nmax_body_bytes = 1000\nday_tolerance = 3\n\
             commit_timeout_ms = 5000\nsignature_window_s = 60\nmax_seen_nonces = 77\nmax_seen_nonces_per_key = 7\n\
             verifier_rate_per_s = 3\nverifier_burst = 4\nmax_open_requests = 5\nmax_request_body_bytes = 600\n",
        );
        let flags = NodeSettings { block_ms: Some(10), ..Default::default() };
        let vars = env(&[
            ("ZKREG_BLOCK_MS", "20"),
            ("ZKREG_LISTEN", "127.0.0.1:9100"),
            ("ZKREG_DAY_TOLERANCE", "0"),
            ("ZKREG_VERIFIER_BURST", "40"),
        ]);
        let node = NodeSettings::resolve(flags, Some(&file), vars).unwrap().into_node(no_genesis).unwrap();
        // Flag beats environment and file.
        assert_eq!(node.config.block_interval, Duration::from_millis(10));
        // Environment beats file.
        assert_eq!(node.listen, "127.0.0.1:9100");
        assert_eq!(node.config.day_tolerance, 0);
        // File beats default; its relative paths are relative to the file.
        assert_eq!(node.config.data_dir, dir.path().join("data"));
        assert_eq!(node.config.max_body_bytes, 1000);
        assert_eq!(node.config.commit_timeout, Duration::from_millis(5000));
        assert_eq!(node.config.signature_window, Duration::from_secs(60));
        assert_eq!(node.config.max_seen_nonces, 77);
        assert_eq!(node.config.max_seen_nonces_per_key, 7);
        assert_eq!(node.config.verifier_rate_per_s, 3);
        assert_eq!(node.config.verifier_burst, 40);
        assert_eq!(node.config.max_open_requests, 5);
        assert_eq!(node.config.max_request_body_bytes, 600);

        // Nothing anywhere: the defaults of NodeConfig::new.
        let node = NodeSettings::resolve(NodeSettings::default(), None, env(&[])).unwrap().into_node(no_genesis).unwrap();
        let defaults = NodeConfig::new(PathBuf::from(DEFAULT_DATA_DIR), None);
        assert_eq!(node.listen, DEFAULT_LISTEN);
        assert_eq!(node.config.data_dir, defaults.data_dir);
        assert_eq!(node.config.block_interval, defaults.block_interval);
        assert_eq!(node.config.max_body_bytes, defaults.max_body_bytes);
        assert_eq!(node.config.max_seen_nonces, defaults.max_seen_nonces);
        assert_eq!(node.config.max_seen_nonces_per_key, defaults.max_seen_nonces_per_key);
        assert_eq!(node.config.verifier_rate_per_s, defaults.verifier_rate_per_s);
        assert_eq!(node.config.verifier_burst, defaults.verifier_burst);
        assert_eq!(node.config.max_open_requests, defaults.max_open_requests);
        assert_eq!(node.config.max_request_body_bytes, defaults.max_request_body_bytes);
    }

    #[test]
    fn config_file_from_the_environment_and_flag_over_it() {
        let dir = tempfile::tempdir().unwrap();
        let from_env = write_config(dir.path(), "block_ms = 300\n");
        let other = dir.path().join("other.toml");
        std::fs::write(&other, "block_ms = 400\n").unwrap();
        let vars = env(&[(CONFIG_ENV, from_env.to_str().unwrap())]);
        let got = NodeSettings::resolve(NodeSettings::default(), None, &vars).unwrap();
        assert_eq!(got.block_ms, Some(300));
        let got = NodeSettings::resolve(NodeSettings::default(), Some(&other), &vars).unwrap();
        assert_eq!(got.block_ms, Some(400));
    }

    #[test]
    fn the_readme_sample_file_parses_and_states_the_defaults() {
        let readme = include_str!("../../README.md");
        let sample = readme.split("```toml\n").nth(1).and_then(|rest| rest.split("```").next()).expect("README has a ```toml sample");
        let sample: String = sample.lines().map(|l| l.trim_start()).collect::<Vec<_>>().join("\n");
        let settings = NodeSettings::from_toml(&sample).unwrap();
        assert_eq!(settings.genesis, Some(PathBuf::from("genesis.json")));
        let defaults = NodeConfig::new(PathBuf::from(DEFAULT_DATA_DIR), None);
        let node = NodeSettings { genesis: None, ..settings }.into_node(no_genesis).unwrap();
        assert_eq!(node.listen, DEFAULT_LISTEN);
        assert_eq!(node.config.data_dir, defaults.data_dir);
        assert_eq!(node.config.block_interval, defaults.block_interval);
        assert_eq!(node.config.max_body_bytes, defaults.max_body_bytes);
        assert_eq!(node.config.day_tolerance, defaults.day_tolerance);
        assert_eq!(node.config.commit_timeout, defaults.commit_timeout);
        assert_eq!(node.config.signature_window, defaults.signature_window);
        assert_eq!(node.config.max_seen_nonces, defaults.max_seen_nonces);
        assert_eq!(node.config.max_seen_nonces_per_key, defaults.max_seen_nonces_per_key);
        assert_eq!(node.config.verifier_rate_per_s, defaults.verifier_rate_per_s);
        assert_eq!(node.config.verifier_burst, defaults.verifier_burst);
        assert_eq!(node.config.max_open_requests, defaults.max_open_requests);
        assert_eq!(node.config.max_request_body_bytes, defaults.max_request_body_bytes);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors_naming_them() {
        let err = NodeSettings::from_toml("listen = \"127.0.0.1:1\"\nblock_milliseconds = 5\n").unwrap_err();
        let shown = format!("{err:#}");
        assert!(shown.contains("block_milliseconds"), "{shown}");
        assert!(shown.contains("line 2"), "{shown}");

        let err = NodeSettings::from_toml("block_ms = \"fast\"\n").unwrap_err();
        assert!(format!("{err:#}").contains("line 1"), "{err:#}");

        let dir = tempfile::tempdir().unwrap();
        let file = write_config(dir.path(), "[node]\nlisten = \"x\"\n");
        let err = NodeSettings::resolve(NodeSettings::default(), Some(&file), env(&[])).unwrap_err();
        let shown = format!("{err:#}");
        assert!(shown.contains("node") && shown.contains("node.toml"), "{shown}");

        let err = NodeSettings::resolve(NodeSettings::default(), None, env(&[("ZKREG_MAX_SEEN_NONCES", "many")])).unwrap_err();
        assert!(format!("{err:#}").contains("ZKREG_MAX_SEEN_NONCES"), "{err:#}");

        let err = NodeSettings { block_ms: Some(0), ..Default::default() }.into_node(no_genesis).unwrap_err();
        assert!(err.to_string().contains("block_ms"), "{err}");
        let err = NodeSettings { verifier_rate_per_s: Some(0), ..Default::default() }.into_node(no_genesis).unwrap_err();
        assert!(err.to_string().contains("verifier_rate_per_s"), "{err}");

        let missing = dir.path().join("missing.toml");
        let err = NodeSettings::resolve(NodeSettings::default(), Some(&missing), env(&[])).unwrap_err();
        assert!(format!("{err:#}").contains("missing.toml"), "{err:#}");
    }
}
