/**
 * Every probe kind. A new probe is one module in this folder plus one line here; each is also usable
 * as a timed expectation (`expectations/probe-expectation.ts`) and as a steady-state check.
 */
import type { ProbeType } from "./probe.ts";
import { healerActionsProbe } from "./healer-actions.ts";
import { httpProbe } from "./http.ts";
import { kafkaLagProbe } from "./kafka-lag.ts";
import { kafkaLeaderProbe } from "./kafka-leader.ts";
import { kafkaLedgerProbe } from "./kafka-ledger.ts";
import { kafkaUnderReplicatedProbe } from "./kafka-under-replicated.ts";
import { kubernetesObjectProbe } from "./kubernetes-object.ts";
import { rolloutProbe } from "./rollout-probe.ts";

export const PROBE_TYPES: readonly ProbeType[] = [
  kubernetesObjectProbe,
  kafkaLagProbe,
  kafkaLedgerProbe,
  kafkaUnderReplicatedProbe,
  kafkaLeaderProbe,
  healerActionsProbe,
  httpProbe,
  rolloutProbe,
] as ProbeType[];
