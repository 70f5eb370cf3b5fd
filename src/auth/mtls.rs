//! Client certificates: the TLS handshake already proved the certificate
//! chains to `tls.client_ca_file`; here it becomes a principal named by its
//! URI SAN (e.g. a SPIFFE id) or else its DNS SAN, with the scopes that
//! `[[auth.principals]]` gives that name.

use std::collections::HashMap;

use x509_parser::{certificate::X509Certificate, extensions::GeneralName, prelude::FromDer};

use super::{Principal, Reason};
use crate::configuration::PrincipalSettings;

/// The scopes of each known mTLS principal.
pub struct PrincipalDirectory {
    scopes: HashMap<String, Vec<String>>,
}

impl PrincipalDirectory {
    pub fn new(principals: &[PrincipalSettings]) -> Self {
        Self {
            scopes: principals
                .iter()
                .map(|principal| (principal.name.clone(), principal.scopes.clone()))
                .collect(),
        }
    }

    /// The principal of a verified client certificate (DER). A name not in
    /// the settings is a principal without scopes: it is authenticated, and
    /// every scoped call is PERMISSION_DENIED for it.
    pub fn principal(&self, certificate: &[u8]) -> Result<Principal, Reason> {
        let name = principal_name(certificate)?;
        let scopes = self.scopes.get(&name).cloned().unwrap_or_default();
        if scopes.is_empty() {
            tracing::warn!(principal = %name, "client certificate of a principal with no scopes");
        }
        Ok(Principal::new(name, scopes))
    }
}

/// The certificate's first URI SAN, else its first DNS SAN.
fn principal_name(certificate: &[u8]) -> Result<String, Reason> {
    let (_, parsed) =
        X509Certificate::from_der(certificate).map_err(|_| "CLIENT_CERTIFICATE_MALFORMED")?;
    let names = parsed
        .subject_alternative_name()
        .map_err(|_| "CLIENT_CERTIFICATE_MALFORMED")?
        .map(|extension| extension.value.general_names.clone())
        .unwrap_or_default();
    let uri = names.iter().find_map(|name| match name {
        GeneralName::URI(uri) => Some(*uri),
        _ => None,
    });
    let dns = names.iter().find_map(|name| match name {
        GeneralName::DNSName(dns) => Some(*dns),
        _ => None,
    });
    uri.or(dns)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .ok_or("CLIENT_CERTIFICATE_NO_NAME")
}

#[cfg(test)]
mod tests {
    use rcgen::{CertificateParams, KeyPair, SanType};

    use super::*;

    fn certificate(names: Vec<SanType>) -> Vec<u8> {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.subject_alt_names = names;
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn the_uri_san_wins_over_the_dns_san() {
        let both = certificate(vec![
            SanType::DnsName("payroll.internal".try_into().unwrap()),
            SanType::URI("spiffe://example.org/payroll".try_into().unwrap()),
        ]);
        assert_eq!(
            principal_name(&both).unwrap(),
            "spiffe://example.org/payroll"
        );
        let dns_only = certificate(vec![SanType::DnsName("crm.internal".try_into().unwrap())]);
        assert_eq!(principal_name(&dns_only).unwrap(), "crm.internal");
        assert_eq!(
            principal_name(&certificate(vec![])),
            Err("CLIENT_CERTIFICATE_NO_NAME")
        );
    }

    #[test]
    fn scopes_come_from_the_settings_and_strangers_get_none() {
        let directory = PrincipalDirectory::new(&[PrincipalSettings {
            name: "crm.internal".into(),
            scopes: vec!["kpi.read".into()],
        }]);
        let crm = certificate(vec![SanType::DnsName("crm.internal".try_into().unwrap())]);
        assert!(directory.principal(&crm).unwrap().has("kpi.read"));
        let stranger = certificate(vec![SanType::DnsName("other.internal".try_into().unwrap())]);
        assert!(directory.principal(&stranger).unwrap().scopes.is_empty());
    }
}
