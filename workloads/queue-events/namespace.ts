/**
 * StreamForge's namespace: where the loaders, the connector, queue-manager and the healer run, on every
 * provider (cluster/manifests/namespaces.yaml creates it). The one home of the name for code.
 */
export const STREAMFORGE_NAMESPACE = "streamforge";
