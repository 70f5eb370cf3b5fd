//! TLS for the gRPC listener, terminated here with tokio-rustls rather than
//! by tonic's `ServerTlsConfig`: tonic builds its rustls configuration once,
//! so it cannot pick up a renewed certificate. Here every new connection is
//! accepted with the configuration current at that moment; a reload (the
//! files changed, polled every `tls.reload_interval_seconds`, or SIGHUP)
//! swaps it, and connections already open keep their session untouched.
//!
//! With `tls.client_ca_file`, client certificates are verified against it
//! during the handshake (one from another CA fails the handshake). A client
//! without a certificate may still connect; the auth layer then lets it
//! reach only the open services (health).

use std::{
    io,
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
    time::{Duration, SystemTime},
};

use anyhow::Context;
use rustls_pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use tokio::{net::TcpListener, sync::mpsc};
use tokio_rustls::{
    rustls::{self, server::WebPkiClientVerifier, RootCertStore, ServerConfig},
    server::TlsStream,
    TlsAcceptor,
};
use tokio_stream::wrappers::ReceiverStream;

use crate::configuration::TlsSettings;

/// How long a client may take to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Accepted connections waiting for the server to pick them up.
const ACCEPT_QUEUE: usize = 64;

/// The files TLS is made of.
#[derive(Debug, Clone)]
struct TlsFiles {
    cert: PathBuf,
    key: PathBuf,
    client_ca: Option<PathBuf>,
    /// Offer HTTP/1.1 beside HTTP/2 (for browsers' gRPC-Web).
    http1: bool,
}

impl TlsFiles {
    fn all(&self) -> Vec<&Path> {
        let mut files = vec![self.cert.as_path(), self.key.as_path()];
        files.extend(self.client_ca.as_deref());
        files
    }

    /// (modification time, size) of each file, to notice changes.
    fn stamps(&self) -> Vec<Option<(SystemTime, u64)>> {
        self.all()
            .into_iter()
            .map(|path| {
                let metadata = std::fs::metadata(path).ok()?;
                Some((metadata.modified().ok()?, metadata.len()))
            })
            .collect()
    }
}

/// The current server configuration, swapped on reload.
pub struct ReloadableTls {
    files: TlsFiles,
    current: RwLock<Arc<ServerConfig>>,
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn build_config(files: &TlsFiles) -> anyhow::Result<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&read(&files.cert)?)
        .collect::<Result<_, _>>()
        .with_context(|| format!("{} is not a PEM certificate chain", files.cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!("{} holds no certificate", files.cert.display());
    }
    let key = PrivateKeyDer::from_pem_slice(&read(&files.key)?)
        .with_context(|| format!("{} is not a PEM private key", files.key.display()))?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("no TLS protocol version available")?;
    let builder = match &files.client_ca {
        Some(path) => {
            let mut roots = RootCertStore::empty();
            for certificate in CertificateDer::pem_slice_iter(&read(path)?) {
                let certificate = certificate
                    .with_context(|| format!("{} is not a PEM certificate", path.display()))?;
                roots
                    .add(certificate)
                    .with_context(|| format!("{} holds an unusable CA", path.display()))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .allow_unauthenticated()
                .build()
                .context("cannot build the client certificate verifier")?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .context("the certificate and key do not make a usable pair")?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    if files.http1 {
        config.alpn_protocols.push(b"http/1.1".to_vec());
    }
    Ok(config)
}

impl ReloadableTls {
    /// Loads the files; `None` when TLS is off. Broken files stop start-up.
    /// With `http1`, HTTP/1.1 is offered beside HTTP/2 (for gRPC-Web).
    pub fn from_settings(settings: &TlsSettings, http1: bool) -> anyhow::Result<Option<Arc<Self>>> {
        let (Some(cert), Some(key)) = (&settings.cert_file, &settings.key_file) else {
            return Ok(None);
        };
        let files = TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
            client_ca: settings.client_ca_file.clone(),
            http1,
        };
        let config = build_config(&files)?;
        Ok(Some(Arc::new(Self {
            files,
            current: RwLock::new(Arc::new(config)),
        })))
    }

    fn acceptor(&self) -> TlsAcceptor {
        let config = match self.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        TlsAcceptor::from(config)
    }

    /// Re-reads the files. A broken set is logged and the old one stays.
    pub fn reload(&self) -> bool {
        match build_config(&self.files) {
            Ok(config) => {
                match self.current.write() {
                    Ok(mut current) => *current = Arc::new(config),
                    Err(poisoned) => *poisoned.into_inner() = Arc::new(config),
                }
                tracing::info!("TLS certificates reloaded; open connections are kept");
                true
            }
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "TLS files changed but cannot be used; keeping the old ones");
                false
            }
        }
    }

    /// Reloads when the files change (polled every `interval`) or on SIGHUP,
    /// until the returned task is aborted.
    pub fn spawn_reloader(self: &Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        let tls = self.clone();
        tokio::spawn(async move {
            #[cfg(unix)]
            let mut hangup =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
            let mut stamps = tls.files.stamps();
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                #[cfg(unix)]
                let hangup_received = async {
                    match hangup.as_mut() {
                        Some(signal) => signal.recv().await,
                        None => std::future::pending().await,
                    }
                };
                #[cfg(not(unix))]
                let hangup_received = std::future::pending::<Option<()>>();
                tokio::select! {
                    _ = ticker.tick() => {
                        let now = tls.files.stamps();
                        if now != stamps {
                            tracing::info!("TLS files changed");
                            // Keep the old stamps after a failed reload: a
                            // half-written pair is tried again next tick.
                            if tls.reload() {
                                stamps = now;
                            }
                        }
                    }
                    _ = hangup_received => {
                        tracing::info!("SIGHUP: reloading TLS files");
                        if tls.reload() {
                            stamps = tls.files.stamps();
                        }
                    }
                }
            }
        })
    }

    /// TLS connections accepted on `listener`: handshakes run concurrently
    /// (each at most `HANDSHAKE_TIMEOUT`); failed ones are logged and
    /// dropped. Dropping the stream stops accepting and closes the listener.
    pub fn incoming(
        self: &Arc<Self>,
        listener: TcpListener,
    ) -> ReceiverStream<io::Result<TlsStream<tokio::net::TcpStream>>> {
        let (sender, receiver) = mpsc::channel(ACCEPT_QUEUE);
        let tls = self.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    () = sender.closed() => return,
                    accepted = listener.accept() => accepted,
                };
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let acceptor = tls.acceptor();
                let sender = sender.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls_stream)) => {
                            let _ = sender.send(Ok(tls_stream)).await;
                        }
                        Ok(Err(error)) => {
                            tracing::info!(%peer, %error, "TLS handshake failed");
                        }
                        Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        ReceiverStream::new(receiver)
    }
}
