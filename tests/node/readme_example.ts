// The README's TypeScript lines: the package's types in use. run.sh checks
// this file with `tsc --noEmit --strict`; a wrong field name or type fails.
import * as grpc from "@grpc/grpc-js";
import { load, channelOptions, timestamp } from "@kpi-service/client";
import type { GetAgentScorecardResponse__Output } from "@kpi-service/client/types/kpi/v1/GetAgentScorecardResponse";

const { kpi } = load();
const scorecards = new kpi.ScorecardService("127.0.0.1:50051", grpc.credentials.createInsecure(), channelOptions());
scorecards.GetAgentScorecard(
  { agent_id: "ana", period: { month: "2026-11" } },
  (error: grpc.ServiceError | null, reply?: GetAgentScorecardResponse__Output) => {
    const aht = reply?.scorecard?.kpis.find((result) => result.kpi_id === "aht");
    console.log(error?.code, aht?.value, aht?.status, timestamp("2026-11-02T09:00:00Z").seconds);
  },
);
