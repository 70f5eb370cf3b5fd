// A CRM page calling kpi-service from the browser: GetAgentScorecard over
// gRPC-Web (Connect-ES's transport), with the protobuf-es code of the
// @kpi-service/client package. The server's address is the page's
// `server` query parameter; the result (or the error) is shown in #result.
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { KpiStatus } from "@kpi-service/client/web/kpi/v1/kpis_pb.js";
import { ScorecardService } from "@kpi-service/client/web/kpi/v1/scorecard_service_pb.js";

const output = document.getElementById("result");
const server = new URLSearchParams(location.search).get("server");
const client = createClient(ScorecardService, createGrpcWebTransport({ baseUrl: server }));

try {
  const reply = await client.getAgentScorecard(
    { agentId: "ana", period: { period: { case: "month", value: "2026-11" } } },
    { headers: { "x-request-id": "browser-test-1" }, timeoutMs: 10_000 },
  );
  const aht = reply.scorecard.kpis.find((result) => result.kpiId === "aht");
  output.textContent = `aht ${aht.value} s, ${KpiStatus[aht.status]}, policy ${reply.scorecard.policy.policyVersionId}`;
} catch (error) {
  output.textContent = `error ${error.code ?? ""} ${error.message}`;
} finally {
  output.dataset.done = "true";
}
