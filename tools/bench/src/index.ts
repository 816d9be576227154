// The pieces the workspace's benchmarks share (the gateway's bench uses them too); `npm run bench` is main.ts.
export { benchInfra } from './infra';
export type { BenchInfra } from './infra';
export { cpuTimeMs, freePort, runCli, startApp, tail } from './processes';
export type { AppProcess, CliResult, StartAppOptions } from './processes';
export { deleteTopicsAndGroups, endOffsets } from './kafka-admin';
export { LatencyHistogram } from './histogram';
export type { LatencySummary } from './histogram';
export { fixedRateSchedule, requestLatencyMs } from './schedule';
export type { FixedRateSchedule } from './schedule';
export { createOrderFlow, createRng, DEFAULT_MIDS } from './order-flow';
export type { FlowOrder, OrderBody, OrderFlowOptions } from './order-flow';
export { summarizeCpuProfile, summarizeCpuProfileFile } from './cpuprofile';
export type { CpuProfile, ProfileSummary } from './cpuprofile';
export { phaseShardMap } from './own-stack';
