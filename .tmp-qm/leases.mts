// Dev stopgap until the lab restarts with kwok --node-lease-duration-seconds: renew the kwok nodes' Leases.
import * as k8s from "@kubernetes/client-node";
const c = new k8s.KubeConfig(); c.loadFromFile("/work/main/.chaoslab/sim/kubeconfig");
const coord = c.makeApiClient(k8s.CoordinationV1Api);
const nodes = ["chaoslab-control-plane", "chaoslab-worker", "chaoslab-worker2"];
const end = Date.now() + 3 * 3600_000;
while (Date.now() < end) {
  for (const name of nodes) {
    const body = { metadata: { name, namespace: "kube-node-lease" }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new k8s.V1MicroTime() } };
    try { const l = await coord.readNamespacedLease({ name, namespace: "kube-node-lease" }); l.spec = { ...l.spec, renewTime: new k8s.V1MicroTime(), leaseDurationSeconds: 40, holderIdentity: name }; await coord.replaceNamespacedLease({ name, namespace: "kube-node-lease", body: l }); }
    catch { await coord.createNamespacedLease({ namespace: "kube-node-lease", body }).catch((e) => console.error(String(e).slice(0, 200))); }
  }
  await new Promise((r) => setTimeout(r, 10_000));
}
