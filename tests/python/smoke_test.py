"""A client generated from proto/ with grpcio-tools, against the real server.

Usage: python smoke_test.py HOST:PORT [CA_FILE TOKEN_FILE]

It generates the kpi.v1 code at run time (so it always matches proto/),
then checks health, ingestion with a replay, an invalid batch's field
violations, and server reflection. With CA_FILE and TOKEN_FILE it talks TLS
(trusting that CA) and sends the token as `authorization: Bearer ...`, and
also checks that a call without the token is UNAUTHENTICATED. It prints one line per check and ends
with "N passed, M failed"; the exit status is 0 only if all passed.
"""

import importlib
import pathlib
import sys
import tempfile
import time
import uuid

import grpc
from grpc_tools import protoc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
PROTO_ROOT = REPOSITORY / "proto"


def generate_client(into: pathlib.Path):
    """Runs grpcio-tools on proto/kpi/v1 and imports the result."""
    include = pathlib.Path(protoc.__file__).parent / "_proto"
    sources = sorted(str(path) for path in (PROTO_ROOT / "kpi" / "v1").glob("*.proto"))
    status = protoc.main(
        ["grpc_tools.protoc", f"-I{PROTO_ROOT}", f"-I{include}",
         f"--python_out={into}", f"--grpc_python_out={into}", *sources]
    )
    if status != 0:
        raise RuntimeError(f"grpc_tools.protoc failed with status {status}")
    sys.path.insert(0, str(into))
    records = importlib.import_module("kpi.v1.records_pb2")
    ingest = importlib.import_module("kpi.v1.ingest_service_pb2")
    ingest_grpc = importlib.import_module("kpi.v1.ingest_service_pb2_grpc")
    return records, ingest, ingest_grpc


def timestamp(text):
    stamp = timestamp_pb2.Timestamp()
    stamp.FromJsonString(text)
    return stamp


def interaction(records, external_id, agent_id="py-agent"):
    return records.Interaction(
        source="python-smoke",
        external_id=external_id,
        agent_id=agent_id,
        channel=records.CHANNEL_PHONE,
        queued_at=timestamp("2026-11-02T09:00:00Z"),
        first_response_at=timestamp("2026-11-02T09:00:20Z"),
        ended_at=timestamp("2026-11-02T09:06:00Z"),
        talk_seconds=300,
        hold_seconds=15,
        after_contact_work_seconds=45,
        resolved=True,
        first_contact_resolved=True,
    )


def check_health(channel, _generated):
    stub = health_pb2_grpc.HealthStub(channel)
    deadline = time.monotonic() + 20
    while True:
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return "SERVING"
        except grpc.RpcError as error:
            if time.monotonic() > deadline:
                raise AssertionError(f"health never answered: {error.code()}") from error
        if time.monotonic() > deadline:
            raise AssertionError("health never reported SERVING")
        time.sleep(0.2)


def check_ingest_and_replay(channel, generated):
    records, ingest, ingest_grpc = generated
    stub = ingest_grpc.IngestServiceStub(channel)
    run = uuid.uuid4().hex[:12]
    batch = [interaction(records, f"{run}-{n}") for n in range(3)]
    request = ingest.IngestInteractionsRequest(interactions=batch)
    first = stub.IngestInteractions(request, timeout=10)
    outcomes = [result.outcome for result in first.results]
    assert outcomes == [ingest.INGEST_OUTCOME_CREATED] * 3, outcomes
    again = stub.IngestInteractions(request, timeout=10)
    outcomes = [result.outcome for result in again.results]
    assert outcomes == [ingest.INGEST_OUTCOME_UNCHANGED] * 3, outcomes
    return "3 CREATED, then 3 UNCHANGED on replay"


def check_invalid_batch(channel, generated):
    records, ingest, ingest_grpc = generated
    stub = ingest_grpc.IngestServiceStub(channel)
    bad = interaction(records, uuid.uuid4().hex, agent_id="")
    try:
        stub.IngestInteractions(ingest.IngestInteractionsRequest(interactions=[bad]), timeout=10)
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.code()
        status = rpc_status.from_call(error)
        assert status is not None, "no google.rpc.Status in the trailers"
        fields = []
        reasons = []
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad_request = error_details_pb2.BadRequest()
                detail.Unpack(bad_request)
                fields.extend(violation.field for violation in bad_request.field_violations)
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reasons.append((info.domain, info.reason))
        assert "interactions[0].agent_id" in fields, fields
        assert ("kpi.v1", "INVALID_FIELDS") in reasons, reasons
        return f"INVALID_ARGUMENT with field violations {fields}"
    raise AssertionError("an interaction without agent_id was accepted")


def check_reflection(channel, _generated):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    reply = next(iter(stub.ServerReflectionInfo(iter([request]), timeout=10)))
    names = {service.name for service in reply.list_services_response.service}
    for expected in ("kpi.v1.IngestService", "kpi.v1.DirectoryService",
                     "kpi.v1.ScorecardService", "grpc.health.v1.Health"):
        assert expected in names, f"{expected} not in {sorted(names)}"
    return f"{len(names)} services listed"


def error_reason(error):
    """The (domain, reason) of the ErrorInfo in a failed call's status."""
    status = rpc_status.from_call(error)
    assert status is not None, "no google.rpc.Status in the trailers"
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.domain, info.reason
    raise AssertionError("no ErrorInfo detail")


def unauthenticated_check(address, ca_pem):
    """A TLS channel without the token: ingest is refused, saying why."""

    def check_unauthenticated_without_token(_channel, generated):
        records, ingest, ingest_grpc = generated
        credentials = grpc.ssl_channel_credentials(root_certificates=ca_pem)
        options = [("grpc.ssl_target_name_override", "localhost")]
        with grpc.secure_channel(address, credentials, options=options) as bare:
            stub = ingest_grpc.IngestServiceStub(bare)
            request = ingest.IngestInteractionsRequest(
                interactions=[interaction(records, uuid.uuid4().hex)])
            try:
                stub.IngestInteractions(request, timeout=10)
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.UNAUTHENTICATED, error.code()
                reason = error_reason(error)
                assert reason == ("kpi.v1", "CREDENTIALS_MISSING"), reason
                return "UNAUTHENTICATED with reason CREDENTIALS_MISSING"
        raise AssertionError("a call without credentials was served")

    return check_unauthenticated_without_token


def open_channel(address, ca_file, token_file):
    """Plain text, or TLS with the bearer token on every call; either way
    with the repository's retry policy, as the README tells clients to."""
    retries = [
        ("grpc.service_config", (REPOSITORY / "service_config.json").read_text()),
        ("grpc.enable_retries", 1),
    ]
    if ca_file is None:
        return grpc.insecure_channel(address, options=retries), None
    ca_pem = pathlib.Path(ca_file).read_bytes()
    token = pathlib.Path(token_file).read_text().strip()
    credentials = grpc.composite_channel_credentials(
        grpc.ssl_channel_credentials(root_certificates=ca_pem),
        grpc.access_token_call_credentials(token),
    )
    options = [("grpc.ssl_target_name_override", "localhost"), *retries]
    return grpc.secure_channel(address, credentials, options=options), ca_pem


def main(address, ca_file=None, token_file=None):
    checks = [check_health, check_ingest_and_replay, check_invalid_batch, check_reflection]
    passed = failed = 0
    channel, ca_pem = open_channel(address, ca_file, token_file)
    if ca_pem is not None:
        checks.append(unauthenticated_check(address, ca_pem))
    with tempfile.TemporaryDirectory() as generated_dir:
        generated = generate_client(pathlib.Path(generated_dir))
        with channel:
            for check in checks:
                name = check.__name__.removeprefix("check_")
                try:
                    detail = check(channel, generated)
                    passed += 1
                    print(f"ok   {name}: {detail}")
                except Exception as error:  # one failing check must not hide the others
                    failed += 1
                    print(f"FAIL {name}: {error!r}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    if len(sys.argv) not in (2, 4):
        sys.exit("usage: smoke_test.py HOST:PORT [CA_FILE TOKEN_FILE]")
    sys.exit(main(*sys.argv[1:]))
