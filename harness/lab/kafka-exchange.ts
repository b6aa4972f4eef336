/**
 * One TCP connection to a broker speaking Kafka's framing (a 4-byte size, then the message), for the
 * meters that time requests by hand (kafka-rtt-meter.ts, kafka-transfer-meter.ts): connect, write the
 * first request, hand each complete response to `onResponse` until it says done, and close — on done, an
 * error, the timeout or the caller's abort. Errors name the address.
 */
import net from "node:net";

export interface Exchange<Result> {
  timeoutMs: number;
  /** Why the timeout fired, in the meter's words (what was still missing). */
  timeoutMessage(): string;
  /** Called once connected: write the first request. */
  start(write: (request: Buffer) => void): void;
  /** Each complete response body (after the size); return the result when done, or undefined after writing the next request. */
  onResponse(body: Buffer, write: (request: Buffer) => void): Result | undefined;
  signal?: AbortSignal;
}

export function kafkaExchange<Result>(address: { host: string; port: number }, exchange: Exchange<Result>): Promise<Result> {
  const where = `${address.host}:${address.port}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address.host, port: address.port });
    const write = (request: Buffer) => void socket.write(request);
    let buffered = Buffer.alloc(0);
    const finish = (outcome: { result: Result } | { error: Error }) => {
      clearTimeout(timer);
      exchange.signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      if ("error" in outcome) reject(outcome.error);
      else resolve(outcome.result);
    };
    const onAbort = () => finish({ error: new Error("aborted") });
    const timer = setTimeout(() => finish({ error: new Error(`${where}: ${exchange.timeoutMessage()}`) }), exchange.timeoutMs);
    exchange.signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => exchange.start(write));
    socket.on("error", (error) => finish({ error: new Error(`${where}: ${error.message}`) }));
    socket.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const body = buffered.subarray(4, 4 + buffered.readInt32BE(0));
        buffered = buffered.subarray(4 + body.length);
        let result: Result | undefined;
        try {
          result = exchange.onResponse(body, write);
        } catch (error) {
          return finish({ error: new Error(`${where}: ${(error as Error).message}`) });
        }
        if (result !== undefined) return finish({ result });
      }
    });
  });
}
