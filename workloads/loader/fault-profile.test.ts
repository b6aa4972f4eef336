import { describe, expect, it } from "vitest";
import { formatFaultProfile, parseFaultProfile } from "./fault-profile.ts";

describe("parseFaultProfile", () => {
  it("reads no fault from empty, unset or none", () => {
    expect(parseFaultProfile(undefined)).toEqual([]);
    expect(parseFaultProfile("")).toEqual([]);
    expect(parseFaultProfile(" none ")).toEqual([]);
  });

  it("reads every kind with its parameters", () => {
    expect(parseFaultProfile("stall-after=5s")).toEqual([{ kind: "stall", afterMs: 5000 }]);
    expect(parseFaultProfile("heartbeat-only-after=1500ms")).toEqual([{ kind: "heartbeat-only", afterMs: 1500 }]);
    expect(parseFaultProfile("crash-after=5s,exit=3")).toEqual([{ kind: "crash", afterMs: 5000, exitCode: 3 }]);
    expect(parseFaultProfile("crash-after=2m")).toEqual([{ kind: "crash", afterMs: 120_000, exitCode: 1 }]);
    expect(parseFaultProfile("fatal-after=5s")).toEqual([{ kind: "fatal", afterMs: 5000 }]);
    expect(parseFaultProfile("critical-error-after=0.5s")).toEqual([{ kind: "critical-error", afterMs: 500 }]);
    expect(parseFaultProfile("rewind-after=5s")).toEqual([{ kind: "rewind", afterMs: 5000 }]);
    expect(parseFaultProfile("rewind-after=5s, by=3")).toEqual([{ kind: "rewind", afterMs: 5000, by: 3 }]);
  });

  it("combines several faults, parameters binding to the fault before them", () => {
    expect(parseFaultProfile("critical-error-after=2s,crash-after=10s,exit=7")).toEqual([
      { kind: "critical-error", afterMs: 2000 },
      { kind: "crash", afterMs: 10_000, exitCode: 7 },
    ]);
  });

  it.each([
    ["stall-after=5", /invalid duration "5".*the unit is missing/],
    ["stall-after", /expected name=value/],
    ["stall-after=", /expected name=value/],
    ["freeze-after=5s", /unknown fault "freeze"; known: stall-after, heartbeat-only-after/],
    ["exit=3", /parameter "exit" before any <fault>-after=<duration>/],
    ["stall-after=5s,exit=3", /unknown parameter "exit" for stall-after \(allowed: none\)/],
    ["crash-after=5s,exit=0", /exit code 1\.\.255/],
    ["crash-after=5s,exit=42", /42 is the fatal exit code; use fatal-after/],
    ["crash-after=5s,exit=3,exit=4", /parameter "exit" given twice/],
    ["stall-after=1s,stall-after=2s", /fault "stall" given twice/],
    ["rewind-after=1s,by=-2", /positive whole number/],
  ])("rejects %j with a clear message", (profile, message) => {
    expect(() => parseFaultProfile(profile)).toThrow(message);
    expect(() => parseFaultProfile(profile)).toThrow(`FAULT=${JSON.stringify(profile)}`);
  });
});

describe("formatFaultProfile", () => {
  it("is the inverse of the parser", () => {
    for (const profile of ["none", "stall-after=5s", "crash-after=1500ms,exit=3", "critical-error-after=2s,rewind-after=1m,by=4"]) {
      expect(formatFaultProfile(parseFaultProfile(profile))).toBe(profile);
    }
  });
});
