//! The HTTP requests this process makes: an issuer's key set (`serve --jwks-url`) and a
//! simulation's target server (`simulate --target`).
//!
//! Both go through [`client`], the one place reqwest's TLS is set up. Its TLS is rustls on the
//! ring provider, the one the MongoDB driver already builds, so the process carries one
//! cryptography library; the certificates trusted are the system's (`SSL_CERT_FILE` and
//! `SSL_CERT_DIR` are honoured).

/// A client builder whose TLS is ready: ring installed as the process's crypto provider
/// (reqwest asks for one when a client is built, and panics without it).
pub fn client() -> reqwest::ClientBuilder {
    static PROVIDER: std::sync::Once = std::sync::Once::new();
    PROVIDER.call_once(|| {
        // Refused only when some other code installed a provider first; that one serves.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
}
