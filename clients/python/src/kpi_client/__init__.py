"""Helpers for calling kpi-service from Python.

The generated kpi.v1 modules are in the ``kpi.v1`` package of this
distribution (``from kpi.v1 import ingest_service_pb2``); ``google.rpc``
comes from googleapis-common-protos and ``grpc.health.v1`` from
grpcio-health-checking, as the README advises.

- :data:`SERVICE_CONFIG`: the service's retry policy (retries with backoff
  for idempotent RPCs, a default deadline), as shipped in the repository.
- :func:`insecure_channel` / :func:`secure_channel`: channels with that
  policy, and with a bearer token on every call for the secure one.
- :func:`error_details`: the typed ``google.rpc`` details of a failed call.
- :func:`timestamp`: a ``google.protobuf.Timestamp`` from RFC 3339 text.
"""

import importlib.resources
from typing import Dict, Optional, Sequence, Tuple

import grpc
from google.protobuf import timestamp_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

__all__ = [
    "SERVICE_CONFIG",
    "channel_options",
    "insecure_channel",
    "secure_channel",
    "error_details",
    "error_reason",
    "timestamp",
]

#: The retry policy and default deadline (``service_config.json``).
SERVICE_CONFIG: str = (
    importlib.resources.files(__package__).joinpath("service_config.json").read_text()
)

_DETAIL_TYPES = (
    error_details_pb2.ErrorInfo,
    error_details_pb2.BadRequest,
    error_details_pb2.ResourceInfo,
    error_details_pb2.RetryInfo,
)


def channel_options() -> Sequence[Tuple[str, object]]:
    """gRPC channel options that turn the retry policy on."""
    return [("grpc.service_config", SERVICE_CONFIG), ("grpc.enable_retries", 1)]


def insecure_channel(address: str) -> grpc.Channel:
    """A plain-text channel (development: auth mode ``none`` on loopback)."""
    return grpc.insecure_channel(
        address, options=channel_options(), compression=grpc.Compression.Gzip
    )


def secure_channel(
    address: str,
    root_certificates: Optional[bytes] = None,
    token: Optional[str] = None,
    server_name: Optional[str] = None,
) -> grpc.Channel:
    """A TLS channel trusting ``root_certificates`` (the system's when None),
    sending ``authorization: Bearer <token>`` on every call when given."""
    credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
    if token is not None:
        credentials = grpc.composite_channel_credentials(
            credentials, grpc.access_token_call_credentials(token)
        )
    options = list(channel_options())
    if server_name is not None:
        options.append(("grpc.ssl_target_name_override", server_name))
    return grpc.secure_channel(
        address, credentials, options=options, compression=grpc.Compression.Gzip
    )


def error_details(error: grpc.RpcError) -> Dict[str, Message]:
    """The ``google.rpc`` details of a failed call, by full type name
    (``"google.rpc.BadRequest"``); empty when the call carried none."""
    status = rpc_status.from_call(error)
    details: Dict[str, Message] = {}
    for detail in status.details if status is not None else []:
        for kind in _DETAIL_TYPES:
            if detail.Is(kind.DESCRIPTOR):
                message = kind()
                detail.Unpack(message)
                details[kind.DESCRIPTOR.full_name] = message
    return details


def error_reason(error: grpc.RpcError) -> Optional[Tuple[str, str]]:
    """The (domain, reason) of a failed call's ErrorInfo, if it has one."""
    info = error_details(error).get("google.rpc.ErrorInfo")
    return None if info is None else (info.domain, info.reason)


def timestamp(text: str) -> timestamp_pb2.Timestamp:
    """A Timestamp from RFC 3339 text, e.g. ``"2026-11-02T09:00:00Z"``."""
    stamp = timestamp_pb2.Timestamp()
    stamp.FromJsonString(text)
    return stamp
