import { describe, expect, it } from "vitest";
import { loadersSetup, profileFaults } from "./loaders.ts";
import { parseFaultProfile } from "../../workloads/loader/fault-profile.ts";
import { faultHarness } from "../testing/contexts.ts";
import { CHAOS_OPT_IN_LABEL, RUN_ID_LABEL } from "../core/safety.ts";
import { deleteLabelled } from "./delete-labelled.ts";

describe("loaders setup", () => {
  it("turns a profile into the loader's FAULT grammar (checked by the loader's own parser)", () => {
    const profile = loadersSetup.params.parse({ count: 1, messages: 1, profile: { for: ["loader-1"], stallAfter: "10s", crashAfter: "20s", exitCode: 3 } }).profile;
    const faults = profileFaults(Array.isArray(profile) ? profile[0]! : profile!);
    expect(faults).toEqual([{ kind: "stall", afterMs: 10_000 }, { kind: "crash", afterMs: 20_000, exitCode: 3 }]);
  });

  it("validates rates, profile targets and the healer's 3 × heartbeat rule at load time", () => {
    expect(loadersSetup.params.parse({ count: 2, messages: 10, rate: "600/m" })).toMatchObject({ rate: 10 });
    expect(loadersSetup.params.parse({ count: 2, messages: 10 })).toMatchObject({ rate: 100 });
    const issues = (input: object) => loadersSetup.params.safeParse(input).error?.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    expect(issues({ count: 1, messages: 1, rate: "fast" })).toEqual(['rate: rate: expected records per second or minute like 200/s or 600/m, found "fast"']);
    expect(issues({ count: 2, messages: 1, profile: { for: ["loader-3"], stallAfter: "1s" } })).toEqual(["profile.for: loader-3 is not one of the loaders created here (loader-1, loader-2)"]);
    expect(issues({ count: 1, messages: 1, heartbeat: "2s", silenceThreshold: "5s" })?.[0]).toContain("below 3 × heartbeat (6000 ms)");
  });

  it("journals the teardown before creating Jobs that carry the run and chaos opt-in labels", async () => {
    const harness = faultHarness({ name: "x", type: "x", target: {}, params: {} });
    const order: string[] = [];
    const kube = harness.ports.kube;
    const create = kube.create.bind(kube);
    kube.create = async (object) => {
      order.push(`create ${object.metadata.name}`);
      return create(object);
    };
    const action = loadersSetup.create(loadersSetup.params.parse({ count: 2, messages: 50, rate: "20/s", heartbeat: "1s", waitUntilFlowing: "0s", profile: { for: ["loader-2"], stallAfter: "5s" } }));
    let journaled: unknown;
    await action.run({
      ...harness.ctx,
      runLabels: { [RUN_ID_LABEL]: "r1" },
      journal: {
        record: async (revert) => {
          order.push("journal");
          journaled = revert;
        },
      },
    });
    expect(order).toEqual(["journal", "create loader-1-t0001", "create loader-2-t0001"]);
    expect(harness.ctx.names.resolve("loader-2")).toBe("loader-2-t0001");
    expect(journaled).toEqual({ namespace: "streamforge", labelSelector: `${RUN_ID_LABEL}=r1`, kinds: [{ apiVersion: "batch/v1", kind: "Job" }] });
    const [first, second] = kube.objects as unknown as { metadata: { labels: Record<string, string> }; spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } }[];
    expect(first!.metadata.labels).toMatchObject({ [RUN_ID_LABEL]: "r1", [CHAOS_OPT_IN_LABEL.key]: "true", app: "loader" });
    const fault = (job: typeof first) => job!.spec.template.spec.containers[0]!.env.find((variable) => variable.name === "FAULT")?.value;
    expect(parseFaultProfile(fault(second))).toEqual([{ kind: "stall", afterMs: 5_000 }]);
    expect(parseFaultProfile(fault(first))).toEqual([]);

    // A healer replacement copies the labels: teardown by label removes it too.
    kube.objects.push({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "loader-2-t0001-r1", namespace: "streamforge", labels: { [RUN_ID_LABEL]: "r1" } } });
    await deleteLabelled(journaled as never, { lab: harness.lab, kube, clock: harness.ctx.clock, log: harness.ctx.log });
    expect(kube.objects).toEqual([]);
  });
});
