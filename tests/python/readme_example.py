# The README's Python example, run by CI against the real server.
# Usage: python readme_example.py [HOST:PORT]   (default 127.0.0.1:50051)
import sys

import grpc
import kpi_client
from kpi.v1 import ingest_service_pb2 as ingest, ingest_service_pb2_grpc as ingest_grpc, records_pb2 as records

address = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50051"
channel = kpi_client.insecure_channel(address)  # retries (service_config.json) and gzip
stub = ingest_grpc.IngestServiceStub(channel)
call = records.Interaction(
    source="pbx", external_id="c-1", agent_id="ana", channel=records.CHANNEL_PHONE,
    queued_at=kpi_client.timestamp("2026-11-02T09:00:00Z"),
    ended_at=kpi_client.timestamp("2026-11-02T09:05:00Z"), talk_seconds=240)
reply = stub.IngestInteractions(ingest.IngestInteractionsRequest(interactions=[call]),
                                timeout=10,  # the deadline, in seconds
                                metadata=[("x-request-id", "batch-2026-11-02-1")])
print(ingest.IngestOutcome.Name(reply.results[0].outcome))  # INGEST_OUTCOME_CREATED, then _UNCHANGED on a retry

invalid = records.Interaction(source="pbx", external_id="c-2", agent_id="ana")  # no times
try:
    stub.IngestInteractions(ingest.IngestInteractionsRequest(interactions=[invalid]), timeout=10)
    sys.exit("an interaction without times was accepted")
except grpc.RpcError as error:
    print(error.code().name)  # INVALID_ARGUMENT
    bad_request = kpi_client.error_details(error)["google.rpc.BadRequest"]
    for violation in bad_request.field_violations:
        print(violation.field, "-", violation.description)  # interactions[0].queued_at - ...
