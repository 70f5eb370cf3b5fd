"""The Python client package (kpi-service-client, built from proto/ by
clients/python/build.sh and installed into a fresh virtual environment)
against the real server.

Usage: python smoke_test.py HOST:PORT [CA_FILE TOKEN_FILE]

It checks health, ingestion with a replay, an invalid batch's field
violations, and server reflection. With CA_FILE and TOKEN_FILE it talks TLS
(trusting that CA) and sends the token as `authorization: Bearer ...`, and
also checks that a call without the token is UNAUTHENTICATED. It prints one
line per check and ends with "N passed, M failed"; the exit status is 0
only if all passed. Every check raises CheckFailed itself (never `assert`,
which `python -O` strips): run.sh runs this file with -O.
"""

import pathlib
import sys
import time
import uuid

import grpc
import kpi_client
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from kpi.v1 import ingest_service_pb2 as ingest_module
from kpi.v1 import ingest_service_pb2_grpc as ingest_grpc_module
from kpi.v1 import records_pb2 as records_module


class CheckFailed(Exception):
    """A check found the service answering otherwise than the contract says."""


def expect(condition, what):
    """Raises CheckFailed(what) unless condition holds (not `assert`)."""
    if not condition:
        raise CheckFailed(what)


def generated_client():
    """The kpi.v1 modules, as the installed package provides them."""
    return records_module, ingest_module, ingest_grpc_module


timestamp = kpi_client.timestamp


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
                raise CheckFailed(f"health never answered: {error.code()}") from error
        if time.monotonic() > deadline:
            raise CheckFailed("health never reported SERVING")
        time.sleep(0.2)


def check_ingest_and_replay(channel, generated):
    records, ingest, ingest_grpc = generated
    stub = ingest_grpc.IngestServiceStub(channel)
    run = uuid.uuid4().hex[:12]
    batch = [interaction(records, f"{run}-{n}") for n in range(3)]
    request = ingest.IngestInteractionsRequest(interactions=batch)
    first = stub.IngestInteractions(request, timeout=10)
    outcomes = [result.outcome for result in first.results]
    expect(outcomes == [ingest.INGEST_OUTCOME_CREATED] * 3, f"first delivery: {outcomes}")
    again = stub.IngestInteractions(request, timeout=10)
    outcomes = [result.outcome for result in again.results]
    expect(outcomes == [ingest.INGEST_OUTCOME_UNCHANGED] * 3, f"replay: {outcomes}")
    return "3 CREATED, then 3 UNCHANGED on replay"


def check_invalid_batch(channel, generated):
    records, ingest, ingest_grpc = generated
    stub = ingest_grpc.IngestServiceStub(channel)
    bad = interaction(records, uuid.uuid4().hex, agent_id="")
    try:
        stub.IngestInteractions(ingest.IngestInteractionsRequest(interactions=[bad]), timeout=10)
    except grpc.RpcError as error:
        expect(error.code() == grpc.StatusCode.INVALID_ARGUMENT, f"code {error.code()}")
        details = kpi_client.error_details(error)
        expect("google.rpc.BadRequest" in details, f"no BadRequest detail: {list(details)}")
        fields = [violation.field for violation in details["google.rpc.BadRequest"].field_violations]
        expect("interactions[0].agent_id" in fields, f"violations: {fields}")
        reason = kpi_client.error_reason(error)
        expect(reason == ("kpi.v1", "INVALID_FIELDS"), f"ErrorInfo: {reason}")
        return f"INVALID_ARGUMENT with field violations {fields}"
    raise CheckFailed("an interaction without agent_id was accepted")


def check_reflection(channel, _generated):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    reply = next(iter(stub.ServerReflectionInfo(iter([request]), timeout=10)))
    names = {service.name for service in reply.list_services_response.service}
    for expected in ("kpi.v1.IngestService", "kpi.v1.DirectoryService",
                     "kpi.v1.ScorecardService", "grpc.health.v1.Health"):
        expect(expected in names, f"{expected} not in {sorted(names)}")
    return f"{len(names)} services listed"


def unauthenticated_check(address, ca_pem):
    """A TLS channel without the token: ingest is refused, saying why."""

    def check_unauthenticated_without_token(_channel, generated):
        records, ingest, ingest_grpc = generated
        with kpi_client.secure_channel(address, ca_pem, server_name="localhost") as bare:
            stub = ingest_grpc.IngestServiceStub(bare)
            request = ingest.IngestInteractionsRequest(
                interactions=[interaction(records, uuid.uuid4().hex)])
            try:
                stub.IngestInteractions(request, timeout=10)
            except grpc.RpcError as error:
                expect(error.code() == grpc.StatusCode.UNAUTHENTICATED, f"code {error.code()}")
                reason = kpi_client.error_reason(error)
                expect(reason == ("kpi.v1", "CREDENTIALS_MISSING"), f"ErrorInfo: {reason}")
                return "UNAUTHENTICATED with reason CREDENTIALS_MISSING"
        raise CheckFailed("a call without credentials was served")

    return check_unauthenticated_without_token


def open_channel(address, ca_file, token_file):
    """Plain text, or TLS with the bearer token on every call; either way
    with the repository's retry policy, as the package sets it up."""
    if ca_file is None:
        return kpi_client.insecure_channel(address), None
    ca_pem = pathlib.Path(ca_file).read_bytes()
    token = pathlib.Path(token_file).read_text().strip()
    channel = kpi_client.secure_channel(address, ca_pem, token=token, server_name="localhost")
    return channel, ca_pem


def main(address, ca_file=None, token_file=None):
    checks = [check_health, check_ingest_and_replay, check_invalid_batch, check_reflection]
    passed = failed = 0
    channel, ca_pem = open_channel(address, ca_file, token_file)
    if ca_pem is not None:
        checks.append(unauthenticated_check(address, ca_pem))
    generated = generated_client()
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
