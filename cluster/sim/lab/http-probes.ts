/**
 * How the sim lab asks its components whether they are up: HTTP health endpoints (etcd, Argo, the lab's
 * own daemons) and HTTPS ones (the API server with the admin client certificate; controller-manager and
 * scheduler with their self-signed certificates), each with a 2 s timeout.
 */
import { readFileSync } from "node:fs";
import https from "node:https";
import type { Pki } from "../pki.ts";

export function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

export function httpsGet(url: string, pki?: Pki): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      url,
      pki
        ? // Read on every call: a new `up` in the same process regenerates the PKI at the same paths.
          { ca: readFileSync(pki.caCert), cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey), timeout: 2_000 }
        : // Controller-manager and scheduler serve self-signed certs on their health ports.
          { rejectUnauthorized: false, timeout: 2_000 },
      (response) => {
        let body = "";
        response.on("data", (chunk) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", reject);
  });
}

export async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}
