// Types of index.js. The message and service types are generated from the
// protos by proto-loader-gen-types (types/), with the loader options
// index.js uses; one ProtoGrpcType per proto file, joined here.
import type * as grpc from "@grpc/grpc-js";
import type { ProtoGrpcType as Audit } from "./types/audit_service";
import type { ProtoGrpcType as Directory } from "./types/directory_service";
import type { ProtoGrpcType as Health } from "./types/health";
import type { ProtoGrpcType as Ingest } from "./types/ingest_service";
import type { ProtoGrpcType as Periods } from "./types/period_service";
import type { ProtoGrpcType as Policies } from "./types/policy_service";
import type { ProtoGrpcType as Scorecards } from "./types/scorecard_service";

/** The kpi.v1 package: every service's client constructor and message type. */
export type KpiV1 = Audit["kpi"]["v1"] &
  Directory["kpi"]["v1"] &
  Ingest["kpi"]["v1"] &
  Periods["kpi"]["v1"] &
  Policies["kpi"]["v1"] &
  Scorecards["kpi"]["v1"];

/** The kpi.v1 service constructors and grpc.health.v1. */
export declare function load(): { kpi: KpiV1; health: Health["grpc"]["health"]["v1"] };
/** The retry policy and default deadline (service_config.json). */
export declare const serviceConfig: string;
/** Channel options: the retry policy, gzip requests. */
export declare function channelOptions(): grpc.ChannelOptions;
/** The google.rpc details of a failed call, by full type name. */
export declare function errorDetails(error: unknown): Record<string, any>;
/** A google.protobuf.Timestamp (seconds as a string) from RFC 3339 text. */
export declare function timestamp(text: string): { seconds: string; nanos: number };
/** Where this package's protos are. */
export declare const PROTO_ROOT: string;
