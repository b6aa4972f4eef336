/**
 * Applying manifests, the same way on every provider: server-side apply through
 * @kubernetes/client-node's KubernetesObjectApi (CRDs of 200 KB do not fit a client-side
 * last-applied annotation; SSA has no such limit).
 */
import fs from "node:fs/promises";
import https from "node:https";
import * as k8s from "@kubernetes/client-node";
import YAML from "yaml";

export const FIELD_MANAGER = "chaoslab";

export function loadKubeConfig(file: string): k8s.KubeConfig {
  const config = new k8s.KubeConfig();
  config.loadFromFile(file);
  return config;
}

/** Parses a multi-document YAML file into objects (skipping empty documents). */
export async function readManifests(file: string): Promise<k8s.KubernetesObject[]> {
  const text = await fs.readFile(file, "utf8");
  return parseManifests(text, file);
}

export function parseManifests(text: string, source = "<inline>"): k8s.KubernetesObject[] {
  return YAML.parseAllDocuments(text).flatMap((document, index) => {
    if (document.errors.length > 0) throw new Error(`${source}: document ${index + 1}: ${document.errors[0]!.message}`);
    const object = document.toJS() as k8s.KubernetesObject | null;
    return object ? [object] : [];
  });
}

export interface ApplyOptions {
  dryRun?: boolean;
}

/**
 * Resolves an object's REST path through discovery (KubernetesObjectApi's own logic). Its typed
 * `patch()` is not used to send: its serializer maps bodies onto the generated models and silently
 * drops what they spell differently — e.g. a CRD's `x-kubernetes-int-or-string` and
 * `x-kubernetes-preserve-unknown-fields`, which the API server then rejects. Bodies go out raw.
 */
class ObjectPaths extends k8s.KubernetesObjectApi {
  pathOf(object: k8s.KubernetesObject): Promise<string> {
    return this.specUriPath(structuredClone(object), "patch");
  }
}

export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

/** One raw request to the API server with the kubeconfig's credentials; JSON in, JSON out. */
export async function rawRequest(
  config: k8s.KubeConfig,
  method: string,
  apiPath: string,
  body?: unknown,
  contentType = "application/json",
): Promise<unknown> {
  const server = config.getCurrentCluster()?.server;
  if (!server) throw new Error("the kubeconfig has no current cluster");
  const url = new URL(apiPath, server);
  const options: https.RequestOptions = { method, headers: { accept: "application/json", "content-type": contentType } };
  await config.applyToHTTPSOptions(options);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = https.request(url, { ...options, timeout: 30_000 }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (text += chunk));
      response.on("end", () => {
        const status = response.statusCode ?? 0;
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON */
        }
        if (status >= 200 && status < 300) resolve(parsed);
        else reject(new KubeApiError(`${status}: ${(parsed as { message?: string })?.message ?? text.slice(0, 500)}`, status));
      });
    });
    request.on("timeout", () => request.destroy(new Error(`${method} ${apiPath}: no answer within 30 s`)));
    request.on("error", reject);
    if (payload) request.write(payload);
    request.end();
  });
}

/**
 * Server-side applies every object, in order; errors name the object and what the server said. With
 * `concurrently`, objects that do not depend on one another (e.g. CRDs) are sent at once: on a fresh
 * API server five Argo Rollouts CRDs took 2.9-4.9 s one by one and 0.8-1.3 s together (most of each
 * request is waiting on the server, not work), which is on `lab up`'s critical path.
 */
export async function applyObjects(
  config: k8s.KubeConfig,
  objects: k8s.KubernetesObject[],
  options: ApplyOptions & { concurrently?: boolean } = {},
): Promise<k8s.KubernetesObject[]> {
  // A fresh discovery cache per call: CRDs applied by an earlier call add kinds.
  const paths = k8s.KubernetesObjectApi.makeApiClient(config) as unknown as ObjectPaths;
  Object.setPrototypeOf(paths, ObjectPaths.prototype);
  const applyOne = async (object: k8s.KubernetesObject) => {
    try {
      const query = `?fieldManager=${FIELD_MANAGER}&force=true${options.dryRun ? "&dryRun=All" : ""}`;
      return (await rawRequest(config, "PATCH", (await paths.pathOf(object)) + query, object, "application/apply-patch+yaml")) as k8s.KubernetesObject;
    } catch (error) {
      throw new Error(`applying ${describeObject(object)} failed: ${apiErrorMessage(error)}`);
    }
  };
  if (options.concurrently) return Promise.all(objects.map(applyOne));
  const applied: k8s.KubernetesObject[] = [];
  for (const object of objects) applied.push(await applyOne(object));
  return applied;
}

function describeObject(object: k8s.KubernetesObject): string {
  const namespace = object.metadata?.namespace ? `${object.metadata.namespace}/` : "";
  return `${object.kind ?? "?"} ${namespace}${object.metadata?.name ?? "?"} (${object.apiVersion ?? "?"})`;
}

/** The server's message of an ApiException (its body is JSON text), else the error's own message. */
export function apiErrorMessage(error: unknown): string {
  if (error instanceof KubeApiError) return error.message;
  if (error instanceof k8s.ApiException) {
    try {
      const body = typeof error.body === "string" ? JSON.parse(error.body) : error.body;
      if (body?.message) return `${error.code}: ${body.message}`;
    } catch {
      /* not JSON */
    }
    return `${error.code}: ${String(error.body).slice(0, 500)}`;
  }
  return (error as Error)?.message ?? String(error);
}

export function apiErrorCode(error: unknown): number | undefined {
  if (error instanceof KubeApiError) return error.code;
  return error instanceof k8s.ApiException ? error.code : undefined;
}
