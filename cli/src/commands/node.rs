//! `zkreg node`: a node serving the ledger and the REST API under /v1.

use std::path::Path;

use anyhow::Context;

use crate::files::read_genesis;
use crate::settings::{NodeSettings, ResolvedNode, CONFIG_ENV};

/// Resolves the settings (`flags` over the environment over the `config`
/// file over the defaults), binds the address and serves until the server
/// stops.
pub fn run(config: Option<&Path>, flags: NodeSettings) -> anyhow::Result<()> {
    // ZKREG_CONFIG is clap's (it fills `config`), so the resolver is not given it again.
    let settings = NodeSettings::resolve(flags, config, |name| if name == CONFIG_ENV { None } else { std::env::var(name).ok() })?;
    let ResolvedNode { config, listen } = settings.into_node(read_genesis)?;
    let listener = std::net::TcpListener::bind(&listen).with_context(|| format!("binding {listen}"))?;
    actix_web::rt::System::new().block_on(async move {
        let (node, server) = zkreg_api::start(config, listener)?;
        eprintln!("zkreg node listening on http://{}", node.addr);
        eprintln!("explorer: http://{}/", node.addr);
        server.await?;
        node.stop().await;
        Ok::<_, anyhow::Error>(())
    })
}
