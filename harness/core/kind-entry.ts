/**
 * What the catalog's entries have in common (probes, expectations, setup actions): each kind is named
 * in scenario files and summed up in one line, and what it creates says in one line what it will do.
 */
export interface KindEntry {
  /** The key scenario files use: `kafka.lag`, `healer.replaced`, `loaders`. */
  kind: string;
  /** One line of help (the scenario schema's description of the kind). */
  summary: string;
}

export interface Described {
  /** One line for the plan, the progress output and the report. */
  describe(): string;
}
