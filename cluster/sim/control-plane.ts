/**
 * Command lines of the sim's Kubernetes side: etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler (one multi-call binary), kwok and the Argo Rollouts controller. Flags follow what
 * kwokctl's binary runtime and envtest use; each non-obvious one says why.
 */
import path from "node:path";
import { LOOPBACK, PORTS, SERVICE_CLUSTER_IP_RANGE, KWOK_POD_CIDR } from "./layout.ts";
import type { Pki } from "./pki.ts";
import type { ProcessSpec } from "./supervisor.ts";

export interface ControlPlaneInputs {
  kubeDir: string;
  kwokDir: string;
  pki: Pki;
  kubeconfig: string;
  etcdDataDir: string;
  kwokConfig: string;
}

export function etcdSpec({ kubeDir, etcdDataDir }: ControlPlaneInputs): ProcessSpec {
  const client = `http://${LOOPBACK}:${PORTS.etcdClient}`;
  const peer = `http://${LOOPBACK}:${PORTS.etcdPeer}`;
  return {
    name: "etcd",
    command: path.join(kubeDir, "kube"),
    args: [
      "etcd",
      "--name=chaoslab",
      `--data-dir=${etcdDataDir}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=chaoslab=${peer}`,
      // A lab's data is disposable; fsync on every write costs more than the whole lab needs.
      "--unsafe-no-fsync",
      // A single member still waits out part of a randomised election timeout before it leads (etcd
      // fast-forwards all but 1-10 ticks): 0.2-1.0 s at the defaults (100 ms ticks, 1 s timeout), and the
      // API server's first dial to an etcd not yet serving costs it gRPC's 1 s reconnect backoff. At 20 ms
      // ticks etcd answered /health in 0.11-0.23 s (4 starts each, 2 cores). Its only voter is itself,
      // so short heartbeats cannot cost it leadership under load; they are loopback messages to no one.
      "--heartbeat-interval=20",
      "--election-timeout=200",
      "--log-level=warn",
    ],
  };
}

export function apiServerSpec({ kubeDir, pki }: ControlPlaneInputs): ProcessSpec {
  return {
    name: "kube-apiserver",
    command: path.join(kubeDir, "kube"),
    args: [
      "apiserver",
      `--etcd-servers=http://${LOOPBACK}:${PORTS.etcdClient}`,
      `--bind-address=${LOOPBACK}`,
      // Without it the API server looks for a default-route interface, and advertises its address.
      `--advertise-address=${LOOPBACK}`,
      `--secure-port=${PORTS.apiServer}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      // Silences the controller-manager's "missing requestheader CA" errors; no aggregator is used.
      `--requestheader-client-ca-file=${pki.caCert}`,
      "--authorization-mode=Node,RBAC",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      "--allow-privileged=true",
      // No kubelets and no real endpoints for the `kubernetes` Service: don't reconcile it.
      "--endpoint-reconciler-type=none",
      "--profiling=false",
      // API Priority and Fairness shares the server between tenants; the lab has one. Its bootstrap
      // (config producer, ~20 FlowSchemas and priority levels) runs beside RBAC's before /readyz: off,
      // `lab up` reached a ready API server in 2.6-2.9 s instead of 2.7-3.3 s (6 starts each, 2 cores).
      // The plain in-flight limits (400 reads, 200 writes) still apply.
      "--enable-priority-and-fairness=false",
    ],
  };
}

function kubeconfigFlags(kubeconfig: string): string[] {
  // Explicit authn/authz kubeconfigs: otherwise the components look for in-cluster config and warn.
  return [`--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`];
}

export function controllerManagerSpec({ kubeDir, pki, kubeconfig }: ControlPlaneInputs): ProcessSpec {
  return {
    name: "kube-controller-manager",
    command: path.join(kubeDir, "kube"),
    args: [
      "controller-manager",
      ...kubeconfigFlags(kubeconfig),
      `--root-ca-file=${pki.caCert}`,
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      "--leader-elect=false",
      `--bind-address=${LOOPBACK}`,
      `--secure-port=${PORTS.controllerManager}`,
      "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics",
      // The Job controller's pod-failure bookkeeping is what scenarios rely on: keep its syncs quick.
      "--concurrent-job-syncs=10",
      // kwok renews node Leases from a process that shares 2 cores with the whole lab; under load a
      // renewal can come late. The default 50 s grace would then mark every pod of the node NotReady
      // (and kwok never re-readies the pods it runs). Node failures are not among the lab's faults.
      "--node-monitor-grace-period=3m",
    ],
  };
}

export function schedulerSpec({ kubeDir, kubeconfig }: ControlPlaneInputs): ProcessSpec {
  return {
    name: "kube-scheduler",
    command: path.join(kubeDir, "kube"),
    args: ["scheduler", ...kubeconfigFlags(kubeconfig), "--leader-elect=false", `--bind-address=${LOOPBACK}`, `--secure-port=${PORTS.scheduler}`],
  };
}

export function kwokSpec({ kwokDir, kubeconfig, kwokConfig }: ControlPlaneInputs): ProcessSpec {
  return {
    name: "kwok",
    command: path.join(kwokDir, "kwok"),
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--config=${kwokConfig}`,
      "--manage-all-nodes=false",
      "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
      // Never let a non-loopback address in: node and simulated pod IPs are loopback too.
      `--node-ip=${LOOPBACK}`,
      `--cidr=${KWOK_POD_CIDR}`,
      // Renew each node's Lease (every 10 s, as a kubelet does). Without it the only heartbeat is the
      // node-heartbeat-with-lease stage's status update every ~10 min: the node lifecycle controller
      // (grace 50 s) saw every node NotReady about once a minute and marked every pod on them NotReady
      // (MarkPodsNotReady), which broke Services, Deployments and Rollouts.
      "--node-lease-duration-seconds=40",
    ],
  };
}

export function argoRolloutsSpec({ kubeDir, kubeconfig }: ControlPlaneInputs): ProcessSpec {
  return {
    name: "argo-rollouts",
    command: path.join(kubeDir, "rollouts-controller"),
    args: [
      `--kubeconfig=${kubeconfig}`,
      "--leader-elect=false",
      // Its defaults (8090, 8080) are the ports every developer's own services use.
      `--metricsPort=${PORTS.argoMetrics}`,
      `--healthzPort=${PORTS.argoHealthz}`,
      "--loglevel=info",
    ],
    // The controller reads its own namespace (notifications ConfigMap) from the environment.
    env: { ...process.env, POD_NAMESPACE: "argo-rollouts" },
  };
}
