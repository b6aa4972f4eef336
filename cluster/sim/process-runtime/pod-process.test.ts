import { describe, expect, it } from "vitest";
import { findLabImage } from "../../images.ts";
import { podLaunch } from "./pod-process.ts";

describe("podLaunch: a pod starts as its image would", () => {
  it("the healer's pods get the image's node flags before the entry and its ENV under the pod's own env", () => {
    const healer = findLabImage("chaoslab/healer:v1")!;
    const launch = podLaunch(healer, ["/bundles/healer.mjs"], ["--verbose"], { PATH: "/bin", IMAGE_TAG: "v1" }, { MALLOC_ARENA_MAX: "4", LOG_LEVEL: "debug" });
    expect(launch.args).toEqual(["--max-semi-space-size=2", "/bundles/healer.mjs", "--verbose"]);
    expect(launch.env).toEqual({ PATH: "/bin", IMAGE_TAG: "v1", MALLOC_ARENA_MAX: "4", MALLOC_MMAP_THRESHOLD_: "131072", MALLOC_TRIM_THRESHOLD_: "131072", LOG_LEVEL: "debug" });
  });

  it("an image without a runtime starts its entry with the pod's env only", () => {
    const loader = findLabImage("chaoslab/loader:dev")!;
    expect(podLaunch(loader, ["--import", "tsx", "workloads/loader/main.ts"], [], { PATH: "/bin" }, { TASK: "t1" })).toEqual({
      args: ["--import", "tsx", "workloads/loader/main.ts"],
      env: { PATH: "/bin", TASK: "t1" },
    });
  });
});
