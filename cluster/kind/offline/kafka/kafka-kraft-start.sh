#!/bin/sh
# Entry point of the offline Kafka image (a KRaft node of a StatefulSet; Strimzi's operator is on no registry
# reachable air-gapped). The node id is the pod's ordinal (+ $NODE_ID_OFFSET): the lab's StatefulSet starts its
# ordinals at the first node id (spec.ordinals.start), so pod <set>-1 is node 1, as Strimzi names its pods.
# The config is /etc/kafka/server-<node id>.properties when the ConfigMap has one per node (advertised ports
# differ per node), else /etc/kafka/server.properties; either may use ${NODE_ID} and ${POD_NAME}. The data
# directory is formatted once with $KAFKA_CLUSTER_ID, so a recreated pod on the same volume keeps its log.
set -eu
POD_NAME=${POD_NAME:-$(hostname)}
NODE_ID=${NODE_ID:-$(( ${POD_NAME##*-} + ${NODE_ID_OFFSET:-0} ))}
DATA_DIR=${KAFKA_DATA_DIR:-/var/lib/kafka/data}
: "${KAFKA_CLUSTER_ID:?set KAFKA_CLUSTER_ID (the same for every node of the cluster)}"
mkdir -p "$DATA_DIR"
config=/etc/kafka/server-$NODE_ID.properties
[ -f "$config" ] || config=/etc/kafka/server.properties
sed -e "s/\${NODE_ID}/$NODE_ID/g" -e "s/\${POD_NAME}/$POD_NAME/g" "$config" > /tmp/server.properties
cp=/opt/kafka/libs/*
log4j=-Dlog4j2.configurationFile=/opt/kafka/config/log4j2.yaml
if [ ! -f "$DATA_DIR/meta.properties" ]; then
  java -Xmx128m -XX:TieredStopAtLevel=1 -cp "$cp" "$log4j" kafka.tools.StorageTool format -t "$KAFKA_CLUSTER_ID" -c /tmp/server.properties --ignore-formatted
fi
exec java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC -Djava.awt.headless=true "$log4j" -cp "$cp" kafka.Kafka /tmp/server.properties
