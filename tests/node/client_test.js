// A Node client of kpi.v1, built the way the README tells client teams to:
// @grpc/proto-loader on proto/ (kpi/v1 plus the shipped grpc/health/v1),
// the repository's service_config.json, deadlines, gzip, and
// google.rpc.BadRequest decoded with protobufjs from proto/google/rpc.
//
// Usage: node client_test.js HOST:PORT
// Prints one line per check and "N passed, M failed"; exits 0 only if all
// passed.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");
const protobuf = require("protobufjs");

const REPOSITORY = path.resolve(__dirname, "..", "..");
const PROTO_ROOT = path.join(REPOSITORY, "proto");
const address = process.argv[2];
if (!address) {
  console.error("usage: node client_test.js HOST:PORT");
  process.exit(2);
}

// keepCase: field names as in the .proto (snake_case); longs as strings
// (int64 would lose precision as numbers); enums as their names; defaults
// so absent scalars read as 0/""/false; oneofs adds the virtual oneof field.
const LOADER_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};
const KPI_FILES = fs
  .readdirSync(path.join(PROTO_ROOT, "kpi", "v1"))
  .filter((name) => name.endsWith(".proto"))
  .map((name) => `kpi/v1/${name}`);
const definition = protoLoader.loadSync(
  [...KPI_FILES, "grpc/health/v1/health.proto"],
  LOADER_OPTIONS,
);
const loaded = grpc.loadPackageDefinition(definition);
const kpi = loaded.kpi.v1;
const health = loaded.grpc.health.v1;

// Retries with backoff for idempotent RPCs, as shipped in the repository.
const CHANNEL_OPTIONS = {
  "grpc.service_config": fs.readFileSync(
    path.join(REPOSITORY, "service_config.json"),
    "utf8",
  ),
  // Send requests gzip-compressed (the server accepts and answers gzip).
  "grpc.default_compression_algorithm": 2,
};
const credentials = grpc.credentials.createInsecure();
const ingest = new kpi.IngestService(address, credentials, CHANNEL_OPTIONS);
const scorecards = new kpi.ScorecardService(address, credentials, CHANNEL_OPTIONS);
const healthClient = new health.Health(address, credentials);

// google.rpc.Status and its details, for decoding error details.
const rpcTypes = new protobuf.Root();
rpcTypes.resolvePath = (_origin, target) => path.join(PROTO_ROOT, target);
rpcTypes.loadSync(["google/rpc/status.proto", "google/rpc/error_details.proto"], {
  keepCase: true,
});
const RpcStatus = rpcTypes.lookupType("google.rpc.Status");

/** Calls a unary method with a 10 s deadline and optional metadata. */
function call(client, method, request, metadata = new grpc.Metadata()) {
  const deadline = new Date(Date.now() + 10_000);
  return new Promise((resolve, reject) => {
    client[method](request, metadata, { deadline }, (error, reply) =>
      error ? reject(error) : resolve(reply),
    );
  });
}

/** The typed details of a failed call's google.rpc.Status, by type name. */
function errorDetails(error) {
  const [bytes] = error.metadata.get("grpc-status-details-bin");
  if (!bytes) return {};
  const status = RpcStatus.decode(bytes);
  const details = {};
  for (const any of status.details) {
    const typeName = any.type_url.split("/").pop();
    details[typeName] = rpcTypes.lookupType(typeName).decode(any.value);
  }
  return details;
}

/** A protobuf Timestamp as proto-loader expects it. */
function timestamp(text) {
  const millis = Date.parse(text);
  return { seconds: String(Math.floor(millis / 1000)), nanos: 0 };
}

const RUN = `${process.pid}-${Date.now()}`;
const AGENT = `node-agent-${RUN}`;

function slowCall(externalId, day) {
  return {
    source: "node-client",
    external_id: externalId,
    agent_id: AGENT,
    channel: "CHANNEL_PHONE",
    queued_at: timestamp(`2026-11-${day}T09:00:00Z`),
    first_response_at: timestamp(`2026-11-${day}T09:00:20Z`),
    ended_at: timestamp(`2026-11-${day}T09:10:20Z`),
    talk_seconds: "540",
    hold_seconds: "30",
    after_contact_work_seconds: "30",
    resolved: true,
    first_contact_resolved: true,
  };
}

async function checkHealth() {
  const until = Date.now() + 20_000;
  for (;;) {
    try {
      const reply = await call(healthClient, "Check", { service: "" });
      if (reply.status === "SERVING") return "SERVING";
    } catch (error) {
      if (Date.now() > until) throw error;
    }
    if (Date.now() > until) throw new Error("never SERVING");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function checkIngestAndReplay() {
  const request = { interactions: [slowCall("call-1", "03"), slowCall("call-2", "04")] };
  const first = await call(ingest, "IngestInteractions", request);
  const outcomes = first.results.map((result) => result.outcome);
  if (outcomes.join() !== "INGEST_OUTCOME_CREATED,INGEST_OUTCOME_CREATED") {
    throw new Error(`first delivery: ${outcomes}`);
  }
  const again = await call(ingest, "IngestInteractions", request);
  const replayed = again.results.map((result) => result.outcome);
  if (replayed.join() !== "INGEST_OUTCOME_UNCHANGED,INGEST_OUTCOME_UNCHANGED") {
    throw new Error(`replay: ${replayed}`);
  }
  return `${outcomes.length} created, then unchanged`;
}

async function checkScorecard() {
  const reply = await call(scorecards, "GetAgentScorecard", {
    agent_id: AGENT,
    period: { month: "2026-11" },
  });
  const byId = Object.fromEntries(reply.scorecard.kpis.map((kpi) => [kpi.kpi_id, kpi]));
  // Two calls of 540 + 30 + 30 = 600 s handle time each.
  if (byId.contacts_handled.value !== 2) {
    throw new Error(`contacts_handled ${JSON.stringify(byId.contacts_handled)}`);
  }
  if (byId.aht.value !== 600 || byId.aht.status !== "KPI_STATUS_BREACHED") {
    throw new Error(`aht ${JSON.stringify(byId.aht)}`);
  }
  return `aht ${byId.aht.value} ${byId.aht.status}`;
}

async function checkBreachList() {
  const breaches = [];
  let pageToken = "";
  do {
    const reply = await call(scorecards, "ListThresholdBreaches", {
      period: { month: "2026-11" },
      kpi_ids: ["aht"],
      page_size: 500,
      page_token: pageToken,
    });
    breaches.push(...reply.breaches);
    pageToken = reply.next_page_token;
  } while (pageToken);
  const mine = breaches.find((breach) => breach.agent_id === AGENT);
  if (!mine || mine.result.kpi_id !== "aht" || mine.shortfall !== 300) {
    throw new Error(`no aht breach of 300 s for ${AGENT}: ${JSON.stringify(mine)}`);
  }
  return `aht shortfall ${mine.shortfall}`;
}

async function checkBadRequestIsDecoded() {
  const invalid = slowCall("call-bad", "05");
  delete invalid.ended_at;
  const metadata = new grpc.Metadata();
  metadata.set("x-request-id", `node-${RUN}`);
  try {
    await call(ingest, "IngestInteractions", { interactions: [invalid] }, metadata);
  } catch (error) {
    if (error.code !== grpc.status.INVALID_ARGUMENT) throw error;
    const details = errorDetails(error);
    const violations = details["google.rpc.BadRequest"].field_violations;
    const fields = violations.map((violation) => violation.field);
    if (!fields.includes("interactions[0].ended_at")) {
      throw new Error(`violations: ${JSON.stringify(violations)}`);
    }
    const info = details["google.rpc.ErrorInfo"];
    if (info.domain !== "kpi.v1" || info.reason !== "INVALID_FIELDS") {
      throw new Error(`ErrorInfo: ${JSON.stringify(info)}`);
    }
    const [echoed] = error.metadata.get("x-request-id");
    if (echoed !== `node-${RUN}`) throw new Error(`request id echoed as ${echoed}`);
    return `${fields.join(", ")} (${info.reason})`;
  }
  throw new Error("an interaction without ended_at was accepted");
}

async function main() {
  const checks = [
    ["health", checkHealth],
    ["ingest and replay", checkIngestAndReplay],
    ["scorecard", checkScorecard],
    ["breach list", checkBreachList],
    ["BadRequest decoded", checkBadRequestIsDecoded],
  ];
  let passed = 0;
  let failed = 0;
  for (const [name, check] of checks) {
    try {
      const what = await check();
      console.log(`PASS ${name}: ${what}`);
      passed += 1;
    } catch (error) {
      console.log(`FAIL ${name}: ${error.stack || error}`);
      failed += 1;
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  for (const client of [ingest, scorecards, healthClient]) client.close();
  process.exit(failed === 0 ? 0 : 1);
}

main();
