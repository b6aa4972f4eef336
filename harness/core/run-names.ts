/**
 * Names a scenario writes (`loader-1`) versus the names its run creates (`loader-1-3fa2`). The lab is
 * shared and kept between runs, so what a run creates carries a per-run suffix: two runs — or a run and
 * someone's test — never collide on a Job name, and a task id (the ledger's and the healer's key) is
 * never reused across runs. Setup actions register what they create; probes and expectations resolve
 * the scenario's names through this registry and scope "every task" to the run's own.
 */
export class RunNames {
  private readonly physical = new Map<string, string>();

  constructor(
    readonly suffix: string,
    /** The run's id: what its objects carry in the run-id label (engine/safety.ts RUN_ID_LABEL). */
    readonly runId?: string,
  ) {}

  /** `r<time>-<hex>` → `<hex>`: short, and distinct between runs started in the same millisecond. */
  static forRun(runId: string): RunNames {
    const tail = runId.split("-").at(-1) ?? runId;
    return new RunNames(tail.replace(/[^a-z0-9]/g, "").slice(0, 6) || "run", runId);
  }

  /** The name to create for a scenario name, registered so later lookups find it. */
  register(name: string): string {
    const created = `${name}-${this.suffix}`;
    this.physical.set(name, created);
    return created;
  }

  /** The created name for a scenario name; unknown names (objects the run did not create) pass through. */
  resolve(name: string): string {
    return this.physical.get(name) ?? name;
  }

  /** The scenario name for a created name, or for a name derived from it (`loader-1-3fa2-r1`). */
  scenarioName(created: string): string | undefined {
    for (const [name, physical] of this.physical) if (created === physical || created.startsWith(`${physical}-`)) return name;
    return undefined;
  }

  /** Every name this run created (task ids of its loaders, ...). */
  created(): string[] {
    return [...this.physical.values()];
  }
}
