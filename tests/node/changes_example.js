// The README's change-feed example, run by CI against the real server: a
// watcher that keeps its last cursor, disconnects, and resumes from it.
// Usage: node changes_example.js [HOST:PORT]   (default 127.0.0.1:50051)
const grpc = require("@grpc/grpc-js");
const kpiClient = require("@kpi-service/client");

const address = process.argv[2] || "127.0.0.1:50051";
const { kpi } = kpiClient.load();
const credentials = grpc.credentials.createInsecure();
const feed = new kpi.ChangeService(address, credentials, kpiClient.channelOptions());
const writer = new kpi.IngestService(address, credentials, kpiClient.channelOptions());

const ingestCall = (external_id, agent_id) => new Promise((resolve, reject) => {
  const call = {
    source: "pbx", external_id, agent_id, channel: "CHANNEL_PHONE",
    queued_at: kpiClient.timestamp("2026-11-02T09:00:00Z"),
    ended_at: kpiClient.timestamp("2026-11-02T09:05:00Z"), talk_seconds: "240",
  };
  writer.IngestInteractions({ interactions: [call] }, (error) => (error ? reject(error) : resolve()));
});

const latest = () => new Promise((resolve, reject) => {
  feed.ListScorecardChanges({ page_size: 1 }, (error, page) => (error ? reject(error) : resolve(page.latest_cursor)));
});

// Handles every change after `cursor`; resolves with the cursor to resume
// from (a client stores it with what it did, and passes it back).
function watch(cursor, seen, { until, stopAfterFirst } = {}) {
  return new Promise((resolve, reject) => {
    const stream = feed.WatchScorecardChanges({ since_cursor: cursor });
    stream.on("data", (message) => {
      for (const change of message.changes) seen.push(change.cursor);  // handle the change here
      cursor = message.progress_cursor;
      if (stopAfterFirst || cursor === until) stream.cancel();  // a disconnect, for the example
    });
    stream.on("error", (error) => {
      // UNAVAILABLE (the server drains), RESOURCE_EXHAUSTED (too slow): resume from `cursor`.
      const resumable = [grpc.status.CANCELLED, grpc.status.UNAVAILABLE, grpc.status.RESOURCE_EXHAUSTED];
      if (resumable.includes(error.code)) resolve(cursor); else reject(error);
    });
    stream.on("end", () => resolve(cursor));
  });
}

async function listAll(since) {
  const cursors = [];
  let page_token = "";
  do {
    const page = await new Promise((resolve, reject) => {
      feed.ListScorecardChanges({ since_cursor: since, page_token }, (error, reply) => (error ? reject(error) : resolve(reply)));
    });
    cursors.push(...page.changes.map((change) => change.cursor));
    page_token = page.next_page_token;
  } while (page_token);
  return cursors;
}

(async () => {
  const start = await latest();
  const seen = [];
  await ingestCall("n-1", "ana");
  let cursor = await watch(start, seen, { stopAfterFirst: true });  // read a little, then disconnect
  await ingestCall("n-2", "bo");                                   // a change while nobody watches
  cursor = await watch(cursor, seen, { until: await latest() });   // resume: nothing lost, nothing twice
  const listed = await listAll(start);
  if (JSON.stringify(seen) !== JSON.stringify(listed) || new Set(seen).size !== seen.length) {
    throw new Error("the resumed watch and the listing disagree");
  }
  console.log("received", seen.length, "changes once each");
  feed.close();
  writer.close();
})().catch((error) => { console.error(error); process.exit(1); });
