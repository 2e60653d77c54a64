//! Starting and stopping a node: the service ([`Node`]), its background
//! workers and the actix-web server over it.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::{web, App, HttpServer};

use crate::service::producer::Workers;
use crate::service::{Node, NodeConfig};

/// A running node.
pub struct RunningNode {
    /// The address it listens on.
    pub addr: std::net::SocketAddr,
    node: web::Data<Node>,
    server: actix_web::dev::ServerHandle,
    workers: Workers,
}

impl RunningNode {
    /// The service behind the server (for reads in tests and benchmarks).
    pub fn node(&self) -> &web::Data<Node> {
        &self.node
    }

    /// Stops the server, then the block producer (pending transactions are
    /// cut into a last block) and the pruner.
    pub async fn stop(self) {
        self.server.stop(true).await;
        self.workers.stop();
    }
}

/// Opens the ledger and starts the node on `listener`. Returns once it is
/// serving; the returned server future must be polled (awaited or spawned).
pub fn start(config: NodeConfig, listener: TcpListener) -> anyhow::Result<(RunningNode, actix_web::dev::Server)> {
    let max_body = config.max_body_bytes;
    let data_dir = config.data_dir.clone();
    let node = web::Data::new(Node::open(config)?);
    let workers = Workers::start(node.clone().into_inner());
    let addr = listener.local_addr()?;
    tracing::info!(%addr, chain_id = %node.chain_id(), height = node.height(), data_dir = %data_dir.display(), "node started");
    let data = node.clone();
    let server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(super::consistency::consistent_reads))
            .wrap(actix_web::middleware::from_fn(super::metrics::track_requests))
            .app_data(data.clone())
            .app_data(web::JsonConfig::default().limit(max_body).error_handler(super::routes::json_error))
            .app_data(web::PayloadConfig::new(max_body))
            .configure(super::routes::configure)
    })
    .workers(2)
    .client_request_timeout(Duration::from_secs(10))
    .listen(listener)?
    .run();
    let handle = server.handle();
    Ok((RunningNode { addr, node, server: handle, workers }, server))
}

/// A node running on a thread of its own (with its own actix system): for
/// tests, benchmarks and embedding. Dropping it stops the node.
pub struct NodeThread {
    /// `http://addr`.
    pub url: String,
    node: web::Data<Node>,
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl NodeThread {
    /// Starts a node on `listener` and returns once it serves.
    pub fn spawn(config: NodeConfig, listener: TcpListener) -> anyhow::Result<Self> {
        use std::sync::mpsc;
        let (send, recv) = mpsc::channel();
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let (node, server) = match start(config, listener) {
                    Ok(started) => started,
                    Err(e) => {
                        let _ = send.send(Err(e));
                        return;
                    }
                };
                let _ = send.send(Ok((node.addr, node.node().clone())));
                let server = actix_web::rt::spawn(server);
                let _ = actix_web::rt::task::spawn_blocking(move || stopped.recv()).await;
                node.stop().await;
                let _ = server.await;
            })
        });
        let (addr, node) = recv
            .recv_timeout(Duration::from_secs(60))
            .map_err(|_| anyhow::anyhow!("the node did not start"))??;
        Ok(NodeThread { url: format!("http://{addr}"), node, stop: Some(stop), thread: Some(thread) })
    }

    /// The service behind the server (for reads in tests and benchmarks).
    pub fn node(&self) -> &Node {
        &self.node
    }
}

impl Drop for NodeThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
