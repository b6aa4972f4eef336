import { describe, expect, it } from "vitest";
import { fixtureResults } from "../../../reports/testing/report-fixtures.ts";
import { verdictTable } from "./chaos.ts";

describe("verdictTable", () => {
  it("shows the ledger counts, reordered only for runs that measured it", () => {
    const [podDelete, brokerCrash] = fixtureResults();
    const table = verdictTable([{ ...podDelete!, ledger: { ...podDelete!.ledger!, reordered: 2 } }, brokerCrash!]);
    expect(table).toMatch(/^PASSED +loader-pod-delete .*acked 3000, lost 0, dup 4, reord 2$/m);
    expect(table).toMatch(/^FAILED +broker-crash .*acked 4000, lost 12, dup 0$/m);
  });
});
