/** Long-lived helpers of one run (a ledger consumer shared by every ledger probe), closed at the end. */
import type { SharedResources } from "./context.ts";

export class SharedResourcePool implements SharedResources {
  private readonly resources = new Map<string, Promise<{ close(): Promise<void> }>>();

  get<T extends { close(): Promise<void> }>(key: string, create: () => Promise<T> | T): Promise<T> {
    let resource = this.resources.get(key);
    if (!resource) {
      resource = Promise.resolve().then(create);
      // A failed creation is not cached: the next sample tries again (the broker may be back).
      resource.catch(() => this.resources.delete(key));
      this.resources.set(key, resource);
    }
    return resource as Promise<T>;
  }

  async closeAll(): Promise<string[]> {
    const problems: string[] = [];
    for (const [key, resource] of this.resources) {
      try {
        await (await resource).close();
      } catch (error) {
        problems.push(`${key}: ${(error as Error).message}`);
      }
    }
    this.resources.clear();
    return problems;
  }
}
