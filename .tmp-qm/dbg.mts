import * as k8s from "@kubernetes/client-node";
import { desiredRoutes } from "/work/main/cluster/sim/service-proxy/routes.ts";
const c = new k8s.KubeConfig(); c.loadFromFile("/work/main/.chaoslab/sim/kubeconfig");
const core = c.makeApiClient(k8s.CoreV1Api);
const svcs = (await core.listServiceForAllNamespaces()).items;
const pods = (await core.listPodForAllNamespaces()).items;
const s = svcs.find((x) => x.metadata?.name === "queue-manager")!;
console.log(JSON.stringify(s.spec), pods.length, JSON.stringify(pods[0]?.status?.conditions), pods[0]?.metadata?.labels);
console.log(desiredRoutes(svcs, pods).routes);
