"""Makes what the TLS + JWT smoke run needs, with the `cryptography` and
`pyjwt` packages: a development CA, a server certificate for localhost and
127.0.0.1 signed by it, an ES256 signing key published as a JWK Set, and a
bearer token for the smoke test's connector.

Usage: python trust_material.py DIRECTORY ISSUER AUDIENCE

Writes ca.pem, server.pem, server.key, jwks.json and token into DIRECTORY.
"""

import datetime
import ipaddress
import json
import pathlib
import sys
import time

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SCOPES = "kpi.ingest:python-smoke kpi.read"


def name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def certificate(subject, issuer, public_key, signing_key, *, ca, sans=()):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(subject))
        .issuer_name(name(issuer))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    return builder.sign(signing_key, hashes.SHA256())


def pem_key(key):
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def main(directory, issuer, audience):
    out = pathlib.Path(directory)
    out.mkdir(parents=True, exist_ok=True)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate("kpi-service dev CA", "kpi-service dev CA", ca_key.public_key(), ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = certificate(
        "localhost", "kpi-service dev CA", server_key.public_key(), ca_key, ca=False,
        sans=(x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))),
    )
    (out / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (out / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (out / "server.key").write_bytes(pem_key(server_key))

    signing_key = ec.generate_private_key(ec.SECP256R1())
    public_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(signing_key.public_key()))
    public_jwk.update({"kid": "smoke", "alg": "ES256", "use": "sig"})
    (out / "jwks.json").write_text(json.dumps({"keys": [public_jwk]}))

    now = int(time.time())
    token = jwt.encode(
        {"iss": issuer, "aud": audience, "sub": "python-smoke-connector",
         "scope": SCOPES, "iat": now, "nbf": now - 5, "exp": now + 900},
        pem_key(signing_key), algorithm="ES256", headers={"kid": "smoke"},
    )
    (out / "token").write_text(token)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: trust_material.py DIRECTORY ISSUER AUDIENCE")
    main(*sys.argv[1:])
