#!/bin/sh
# Entry point of the offline Kafka image (a KRaft node of a StatefulSet; Strimzi's operator is on no registry
# reachable air-gapped). The node id is the pod's ordinal + 1 (ids 1-3, like the Strimzi node pool's).
# /etc/kafka/server.properties (a ConfigMap) may use ${NODE_ID} and ${POD_NAME}; the data directory is
# formatted once with $KAFKA_CLUSTER_ID, so a recreated pod on the same volume keeps its log.
set -eu
POD_NAME=${POD_NAME:-$(hostname)}
NODE_ID=${NODE_ID:-$(( ${POD_NAME##*-} + 1 ))}
DATA_DIR=${KAFKA_DATA_DIR:-/var/lib/kafka/data}
: "${KAFKA_CLUSTER_ID:?set KAFKA_CLUSTER_ID (the same for every node of the cluster)}"
mkdir -p "$DATA_DIR"
sed -e "s/\${NODE_ID}/$NODE_ID/g" -e "s/\${POD_NAME}/$POD_NAME/g" /etc/kafka/server.properties > /tmp/server.properties
cp=/opt/kafka/libs/*
log4j=-Dlog4j2.configurationFile=/opt/kafka/config/log4j2.yaml
if [ ! -f "$DATA_DIR/meta.properties" ]; then
  java -Xmx128m -XX:TieredStopAtLevel=1 -cp "$cp" "$log4j" kafka.tools.StorageTool format -t "$KAFKA_CLUSTER_ID" -c /tmp/server.properties --ignore-formatted
fi
exec java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC -Djava.awt.headless=true "$log4j" -cp "$cp" kafka.Kafka /tmp/server.properties
