// A Node client of kpi.v1, as the README tells client teams to write one:
// the @kpi-service/client package (built from proto/ by
// clients/node/build.sh, installed into this fresh project), its retry
// policy, deadlines, gzip, and google.rpc.BadRequest decoded by the package.
//
// Usage: node client_test.js HOST:PORT
// Prints one line per check and "N passed, M failed"; exits 0 only if all
// passed.
"use strict";

const grpc = require("@grpc/grpc-js");
const kpiClient = require("@kpi-service/client");

const address = process.argv[2];
if (!address) {
  console.error("usage: node client_test.js HOST:PORT");
  process.exit(2);
}

// The package loads the protos it ships with the README's options: field
// names as in the .proto (snake_case), int64 as strings, enums as names,
// defaults, oneofs; and it carries the retry policy (service_config.json)
// and gzip in its channel options.
const { kpi, health } = kpiClient.load();
const credentials = grpc.credentials.createInsecure();
const ingest = new kpi.IngestService(address, credentials, kpiClient.channelOptions());
const scorecards = new kpi.ScorecardService(address, credentials, kpiClient.channelOptions());
const healthClient = new health.Health(address, credentials);

/** Calls a unary method with a 10 s deadline and optional metadata. */
function call(client, method, request, metadata = new grpc.Metadata()) {
  const deadline = new Date(Date.now() + 10_000);
  return new Promise((resolve, reject) => {
    client[method](request, metadata, { deadline }, (error, reply) =>
      error ? reject(error) : resolve(reply),
    );
  });
}

const errorDetails = kpiClient.errorDetails;
const timestamp = kpiClient.timestamp;

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
