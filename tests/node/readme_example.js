// The README's Node example, run by CI against the real server.
// Usage: node readme_example.js [HOST:PORT]   (default 127.0.0.1:50051)
const grpc = require("@grpc/grpc-js");
const kpiClient = require("@kpi-service/client");

const address = process.argv[2] || "127.0.0.1:50051";
const { kpi } = kpiClient.load();  // field names as in the protos, int64 as strings, enums as names
const ingest = new kpi.IngestService(address, grpc.credentials.createInsecure(), kpiClient.channelOptions());

const call = {
  source: "pbx", external_id: "c-1", agent_id: "ana", channel: "CHANNEL_PHONE",
  queued_at: kpiClient.timestamp("2026-11-02T09:00:00Z"),
  ended_at: kpiClient.timestamp("2026-11-02T09:05:00Z"), talk_seconds: "240",
};
const deadline = () => ({ deadline: new Date(Date.now() + 10_000) });
const metadata = new grpc.Metadata();
metadata.set("x-request-id", "batch-2026-11-02-1");
ingest.IngestInteractions({ interactions: [call] }, metadata, deadline(), (error, reply) => {
  if (error) throw error;
  console.log(reply.results[0].outcome);  // INGEST_OUTCOME_CREATED, then _UNCHANGED on a retry
  const invalid = { source: "pbx", external_id: "c-2", agent_id: "ana" };  // no times
  ingest.IngestInteractions({ interactions: [invalid] }, new grpc.Metadata(), deadline(), (refused) => {
    console.log(grpc.status[refused.code]);  // INVALID_ARGUMENT
    const badRequest = kpiClient.errorDetails(refused)["google.rpc.BadRequest"];
    for (const violation of badRequest.field_violations) console.log(violation.field, "-", violation.description);
    ingest.close();
  });
});
