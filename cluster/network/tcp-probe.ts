/**
 * The one TCP reachability probe of the lab: "does something accept a connection on host:port within
 * this time?". The kind provider waits on published ports with it, provider detection asks whether
 * Docker's registry answers, and the sim asks whether a component listens or a lab port is taken.
 * (harness/lab/kafka-rtt-meter.ts times connections instead; that is a measurement, not a probe.)
 */
import net from "node:net";

export type TcpProbeResult =
  | { reachable: true }
  /** Nothing answered within the time (a silent drop looks like this, e.g. no route out). */
  | { reachable: false; reason: "timeout" }
  /** The connection failed at once: refused, unresolvable host, unreachable network. */
  | { reachable: false; reason: "error"; message: string };

/** Connects once and closes the socket at once; never throws. */
export function probeTcp(host: string, port: number, timeoutMs: number): Promise<TcpProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (result: TcpProbeResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => finish({ reachable: false, reason: "timeout" }));
    socket.once("connect", () => finish({ reachable: true }));
    socket.once("error", (error) => finish({ reachable: false, reason: "error", message: error.message }));
  });
}

/** Resolves true when something accepts TCP connections on host:port within `timeoutMs`. */
export async function canConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return (await probeTcp(host, port, timeoutMs)).reachable;
}

/**
 * Ports among `ports` that something already listens on at 127.0.0.1 (300 ms each, all at once): the
 * "ports already taken" check before a lab starts and the leak audit after it stops.
 */
export async function loopbackPortsInUse(ports: readonly number[]): Promise<number[]> {
  const results = await Promise.all(ports.map(async (port) => ((await canConnect("127.0.0.1", port, 300)) ? port : undefined)));
  return results.filter((port): port is number => port !== undefined);
}
