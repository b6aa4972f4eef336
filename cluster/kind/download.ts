/**
 * Release manifests (Strimzi, Argo Rollouts) are downloaded once per version into the cache, so a second
 * `lab up` (or one behind a flaky network) does not depend on GitHub again.
 */
import fs from "node:fs/promises";
import path from "node:path";

export type Download = (url: string) => Promise<string>;

const DOWNLOAD_TIMEOUT_MS = 120_000;

export const httpDownload: Download = async (url) => {
  let response: Response;
  try {
    response = await fetch(url, { redirect: "follow", signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  } catch (error) {
    throw new Error(`download ${url} failed: ${(error as Error).message}`);
  }
  if (!response.ok) throw new Error(`download ${url} failed: HTTP ${response.status} ${response.statusText}`);
  return response.text();
};

export async function cachedDownload(url: string, cacheFile: string, download: Download): Promise<{ text: string; fromCache: boolean }> {
  try {
    return { text: await fs.readFile(cacheFile, "utf8"), fromCache: true };
  } catch {
    // not cached yet
  }
  let text: string;
  try {
    text = await download(url);
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\nWhat to do: the kind lab needs internet access to GitHub releases (check a proxy or ` +
        `firewall), or download the file yourself and put it at ${cacheFile}.`,
    );
  }
  await fs.mkdir(path.dirname(cacheFile), { recursive: true });
  const partial = `${cacheFile}.partial-${process.pid}`;
  await fs.writeFile(partial, text);
  await fs.rename(partial, cacheFile);
  return { text, fromCache: false };
}
