import { describe, expect, it } from "vitest";
import { BAD_VERSION_ERROR_RATE, ConfigError, readQueueManagerConfig } from "./queue-manager-config.ts";

describe("readQueueManagerConfig", () => {
  it("defaults to 0.0.0.0:8080, version dev, no errors", () => {
    expect(readQueueManagerConfig({})).toMatchObject({
      listenHost: "0.0.0.0",
      port: 8080,
      version: "dev",
      errorRate: 0,
      errorRateSource: "none",
      podTemplateHash: "",
    });
  });

  it("takes the version from VERSION before IMAGE_TAG", () => {
    expect(readQueueManagerConfig({ IMAGE_TAG: "v2" }).version).toBe("v2");
    expect(readQueueManagerConfig({ IMAGE_TAG: "v2", VERSION: "v3" }).version).toBe("v3");
  });

  it("gives a -bad version errors above the threshold unless ERROR_RATE says otherwise", () => {
    expect(readQueueManagerConfig({ IMAGE_TAG: "v2-bad" })).toMatchObject({
      errorRate: BAD_VERSION_ERROR_RATE,
      errorRateSource: "bad-version-default",
    });
    expect(readQueueManagerConfig({ IMAGE_TAG: "v2-bad", ERROR_RATE: "0" })).toMatchObject({
      errorRate: 0,
      errorRateSource: "ERROR_RATE",
    });
    expect(readQueueManagerConfig({ IMAGE_TAG: "v2-good" }).errorRate).toBe(0);
  });

  it("reads ERROR_RATE, LISTEN_HOST, PORT and the pod identity", () => {
    expect(
      readQueueManagerConfig({
        ERROR_RATE: "0.25",
        LISTEN_HOST: "127.10.0.7",
        PORT: "9090",
        POD_NAME: "queue-manager-7c9f8d6b5d-abcde",
        POD_TEMPLATE_HASH: "7c9f8d6b5d",
      }),
    ).toMatchObject({
      errorRate: 0.25,
      listenHost: "127.10.0.7",
      port: 9090,
      podName: "queue-manager-7c9f8d6b5d-abcde",
      podTemplateHash: "7c9f8d6b5d",
    });
  });

  it("rejects bad values naming the variable, what was expected and what was found", () => {
    expect(() => readQueueManagerConfig({ ERROR_RATE: "50%" })).toThrow(ConfigError);
    expect(() => readQueueManagerConfig({ ERROR_RATE: "1.5" })).toThrow(/env ERROR_RATE: expected a number in \[0, 1\].*found "1.5"/);
    expect(() => readQueueManagerConfig({ PORT: "http" })).toThrow(/env PORT: expected an integer in \[0, 65535\], found "http"/);
  });
});
