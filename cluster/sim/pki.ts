/**
 * The sim lab's PKI, as kwokctl and envtest make it: one CA, the API server's serving cert, an admin
 * client cert in `system:masters`, and the service-account signing key. ECDSA P-256: fast to generate
 * (lab up is on the clock) and supported by the API server for serving and for service-account tokens.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { $ } from "zx";
import { LOOPBACK, PORTS } from "./layout.ts";

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

const SERVER_SANS = [
  "DNS:localhost",
  "DNS:kubernetes",
  "DNS:kubernetes.default",
  "DNS:kubernetes.default.svc",
  "DNS:kubernetes.default.svc.cluster.local",
  `IP:${LOOPBACK}`,
  // The first address of the service range: the `kubernetes` Service's ClusterIP.
  "IP:10.96.0.1",
].join(",");

function pkiPaths(dir: string): Pki {
  const file = (name: string) => path.join(dir, name);
  return {
    dir,
    caCert: file("ca.crt"),
    caKey: file("ca.key"),
    serverCert: file("apiserver.crt"),
    serverKey: file("apiserver.key"),
    adminCert: file("admin.crt"),
    adminKey: file("admin.key"),
    serviceAccountKey: file("sa.key"),
    serviceAccountPub: file("sa.pub"),
  };
}

async function openssl(args: string[]) {
  const result = await $({ quiet: true, nothrow: true })`openssl ${args}`;
  if (result.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr.trim()}`);
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** Creates the PKI in `dir` unless it is already complete there (then it is reused). */
export async function ensurePki(dir: string): Promise<Pki> {
  const pki = pkiPaths(dir);
  const complete = await Promise.all(
    [pki.caCert, pki.serverCert, pki.adminCert, pki.serviceAccountKey, pki.serviceAccountPub].map((file) =>
      fs.access(file).then(() => true, () => false),
    ),
  );
  if (complete.every(Boolean)) return pki;
  await fs.mkdir(dir, { recursive: true });
  await openssl(["req", "-x509", ...EC, "-keyout", pki.caKey, "-out", pki.caCert, "-days", "3650", "-subj", "/CN=chaoslab-ca"]);
  const signed = (key: string, cert: string, subject: string, extensions: string[]) =>
    openssl(["req", "-x509", ...EC, "-keyout", key, "-out", cert, "-days", "3650", "-subj", subject, "-CA", pki.caCert, "-CAkey", pki.caKey, ...extensions.flatMap((extension) => ["-addext", extension])]);
  await Promise.all([
    signed(pki.serverKey, pki.serverCert, "/CN=kube-apiserver", [
      `subjectAltName=${SERVER_SANS}`,
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      "basicConstraints=critical,CA:FALSE",
    ]),
    signed(pki.adminKey, pki.adminCert, "/O=system:masters/CN=chaoslab-admin", [
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=clientAuth",
      "basicConstraints=critical,CA:FALSE",
    ]),
    openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", pki.serviceAccountKey]),
  ]);
  await openssl(["ec", "-in", pki.serviceAccountKey, "-pubout", "-out", pki.serviceAccountPub]);
  return pki;
}

export async function writeKubeconfig(pki: Pki, file: string): Promise<string> {
  const base64 = async (path: string) => (await fs.readFile(path)).toString("base64");
  const server = `https://${LOOPBACK}:${PORTS.apiServer}`;
  const kubeconfig = [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: chaoslab-sim",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${await base64(pki.caCert)}`,
    "users:",
    "- name: chaoslab-admin",
    "  user:",
    `    client-certificate-data: ${await base64(pki.adminCert)}`,
    `    client-key-data: ${await base64(pki.adminKey)}`,
    "contexts:",
    "- name: chaoslab-sim",
    "  context: {cluster: chaoslab-sim, user: chaoslab-admin}",
    "current-context: chaoslab-sim",
    "",
  ].join("\n");
  await fs.writeFile(file, kubeconfig, { mode: 0o600 });
  return server;
}
