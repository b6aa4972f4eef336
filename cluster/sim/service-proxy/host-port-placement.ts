/**
 * The sim's answer to `ServiceAccess.applyCopies`: copies of manifests placed beside the originals in
 * another namespace (a canary in its run's own namespace). The service proxy forwards one host port per
 * Service (SIM_HOST_PORT_ANNOTATION), so a copied Service on the manifests' fixed port would lose it to
 * the original, or to another run's copy. Each copy that asks for a host port gets a free ad-hoc one
 * instead. Real clusters need none of this: cluster DNS and the API server's proxy tell namespaces apart.
 */
import type { PlaceableObject } from "../../provider.ts";
import { SIM_SERVICE_PORTS } from "../layout.ts";
import { SIM_HOST_PORT_ANNOTATION } from "./routes.ts";

const wantsHostPort = (object: PlaceableObject) => object.kind === "Service" && object.metadata.annotations?.[SIM_HOST_PORT_ANNOTATION] !== undefined;

/** Host ports already claimed by a Service (one not being deleted) anywhere in the lab. */
export function claimedHostPorts(services: readonly PlaceableObject[]): Set<number> {
  const claimed = new Set<number>();
  for (const service of services) {
    const raw = service.metadata.annotations?.[SIM_HOST_PORT_ANNOTATION];
    if (raw !== undefined && !service.metadata.deletionTimestamp && /^\d+$/.test(raw.trim())) claimed.add(Number(raw.trim()));
  }
  return claimed;
}

/**
 * `count` free ports of the ad-hoc range (SIM_SERVICE_PORTS), starting at a place derived from `seed`
 * (the run suffix) so two processes that list at the same moment rarely pick the same ones.
 */
export function pickHostPorts(count: number, claimed: ReadonlySet<number>, seed: string): number[] {
  const first = SIM_SERVICE_PORTS.adHocFirst;
  const size = SIM_SERVICE_PORTS.last - first + 1;
  let hash = 0;
  for (const char of seed) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  const picked: number[] = [];
  for (let step = 0; step < size && picked.length < count; step++) {
    const port = first + ((hash + step) % size);
    if (!claimed.has(port)) picked.push(port);
  }
  if (picked.length < count) throw new Error(`the sim's ad-hoc host ports ${first}–${SIM_SERVICE_PORTS.last} are all claimed (${claimed.size} Services hold one): delete leftover Services or run fewer canaries at once`);
  return picked;
}

/** The objects with `ports` handed to the Services that ask for a host port, in order; the input is left untouched. */
export function withHostPorts<T extends PlaceableObject>(objects: readonly T[], ports: readonly number[]): T[] {
  const left = [...ports];
  return objects.map((object) => {
    if (!wantsHostPort(object)) return object;
    const port = left.shift();
    if (port === undefined) throw new Error(`no host port left for Service ${object.metadata.name ?? "?"}`);
    return { ...object, metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, [SIM_HOST_PORT_ANNOTATION]: String(port) } } };
  });
}

let placementTurn: Promise<unknown> = Promise.resolve();

/**
 * Picks the copies' host ports and applies them, one placement of this process at a time: ports count
 * as claimed only once their Services exist, so two canaries started together (`--parallel`) would
 * otherwise both see the same ports free. (Two separate processes can still collide; the loser's
 * Service is reported "already taken" by the proxy and its run ends broken, saying so.)
 */
export function placeWithFreeHostPorts<T extends PlaceableObject, R>(
  objects: readonly T[],
  seed: string,
  listServices: () => Promise<PlaceableObject[]>,
  apply: (placed: T[]) => Promise<R>,
): Promise<R> {
  const place = async () => {
    const wanted = objects.filter(wantsHostPort).length;
    const ports = wanted === 0 ? [] : pickHostPorts(wanted, claimedHostPorts(await listServices()), seed);
    return apply(withHostPorts(objects, ports));
  };
  const result = placementTurn.then(place);
  placementTurn = result.catch(() => undefined);
  return result;
}
