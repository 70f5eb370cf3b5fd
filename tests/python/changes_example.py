# The README's change-feed example, run by CI against the real server: a
# watcher that keeps its last cursor, disconnects, and resumes from it.
# Usage: python changes_example.py [HOST:PORT]   (default 127.0.0.1:50051)
import sys

import grpc
import kpi_client
from kpi.v1 import change_service_pb2 as changes, change_service_pb2_grpc as changes_grpc
from kpi.v1 import ingest_service_pb2 as ingest, ingest_service_pb2_grpc as ingest_grpc, records_pb2 as records

address = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50051"
channel = kpi_client.insecure_channel(address)
feed = changes_grpc.ChangeServiceStub(channel)
writer = ingest_grpc.IngestServiceStub(channel)


def ingest_call(external_id, agent_id):
    call = records.Interaction(
        source="pbx", external_id=external_id, agent_id=agent_id, channel=records.CHANNEL_PHONE,
        queued_at=kpi_client.timestamp("2026-11-02T09:00:00Z"),
        ended_at=kpi_client.timestamp("2026-11-02T09:05:00Z"), talk_seconds=240)
    writer.IngestInteractions(ingest.IngestInteractionsRequest(interactions=[call]), timeout=10)


def watch(cursor, seen, until=None, stop_after_first=False):
    """Handles every change after `cursor`; returns the cursor to resume from.
    A client stores this cursor with what it did, and passes it back."""
    request = changes.WatchScorecardChangesRequest(since_cursor=cursor)
    stream = feed.WatchScorecardChanges(request)
    try:
        for message in stream:
            for change in message.changes:
                seen.append(change.cursor)  # handle the change here
            cursor = message.progress_cursor
            if stop_after_first or cursor == until:
                stream.cancel()  # a disconnect, for the example
                break
    except grpc.RpcError as error:
        # UNAVAILABLE (the server drains) and RESOURCE_EXHAUSTED (too slow)
        # name the last cursor; resuming from ours is the same.
        if error.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED,
                                grpc.StatusCode.CANCELLED):
            raise
    return cursor


def latest():
    return feed.ListScorecardChanges(changes.ListScorecardChangesRequest(page_size=1)).latest_cursor


start = latest()
seen = []
ingest_call("w-1", "ana")
cursor = watch(start, seen, stop_after_first=True)  # read a little, then disconnect
ingest_call("w-2", "bo")                             # a change while nobody watches
cursor = watch(cursor, seen, until=latest())         # resume: nothing lost, nothing twice

listed, token = [], ""
while True:
    page = feed.ListScorecardChanges(changes.ListScorecardChangesRequest(since_cursor=start, page_token=token))
    listed.extend(change.cursor for change in page.changes)
    token = page.next_page_token
    if not token:
        break
if seen != listed or len(set(seen)) != len(seen):
    sys.exit("the resumed watch and the listing disagree")
print("received", len(seen), "changes once each")
