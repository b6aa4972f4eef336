/**
 * The offline Kafka image: a debootstrapped Debian with Debian's JRE 17, the Apache Kafka jars the sim
 * fetches from Maven Central (cluster/build/components.ts, same cache), kafka/log4j2.yaml and the
 * kafka/kafka-kraft-start.sh entry point. Strimzi's operator is on no registry reachable air-gapped, so
 * the offline lab runs these as a KRaft StatefulSet.
 */
import path from "node:path";
import versions from "../../versions.json" with { type: "json" };
import { kafkaComponent } from "../../build/components.ts";
import { locate, provision } from "../../build/provision.ts";
import { hashInputs, imageTag } from "./cache-key.ts";
import { INPUTS_LABEL, dockerBuild, imageInputsLabel } from "./component-images.ts";
import { type RootfsSpec, buildRootfsImage, rootfsImage } from "./rootfs.ts";
import { type StepLog, dockerImageExists, exists } from "./steps.ts";

const HERE = path.dirname(new URL(import.meta.url).pathname);

const JRE_ROOTFS: RootfsSpec = {
  repository: "chaoslab/kind-jre-base",
  packages: ["openjdk-17-jre-headless", "ca-certificates"],
};

export async function buildKafkaImage(steps: StepLog): Promise<string> {
  const jre = await rootfsImage(JRE_ROOTFS);
  await steps.step(`JRE base rootfs (debootstrap ${versions.debian}, openjdk-17-jre-headless) ${jre}`, () => dockerImageExists(jre), () => buildRootfsImage(JRE_ROOTFS, jre));
  const kafka = await locate(kafkaComponent);
  await steps.step(`the sim's Kafka ${versions.kafka} jars (Maven Central)`, () => exists(path.join(kafka.dir, ".built.json")), () =>
    provision({ only: ["kafka"], log: steps.log }).then(() => undefined),
  );
  const dockerfile = [
    `FROM ${jre}`,
    "COPY libs/ /opt/kafka/libs/",
    "COPY log4j2.yaml /opt/kafka/config/log4j2.yaml",
    "COPY kafka-kraft-start.sh /opt/kafka/bin/kafka-kraft-start.sh",
    "USER 1001:0",
    'ENTRYPOINT ["/opt/kafka/bin/kafka-kraft-start.sh"]',
    "",
  ].join("\n");
  const inputs = await hashInputs([dockerfile, kafka.dir, { file: path.join(HERE, "kafka", "log4j2.yaml") }, { file: path.join(HERE, "kafka", "kafka-kraft-start.sh") }]);
  const image = imageTag("chaoslab/kafka", versions.kafka, inputs);
  await steps.step(`Kafka image ${image}`, async () => (await imageInputsLabel(image)) === inputs, async () => {
    const { mkdtemp, cp, rm } = await import("node:fs/promises");
    const os = await import("node:os");
    const context = await mkdtemp(path.join(os.tmpdir(), "chaoslab-kafka-"));
    try {
      await cp(path.join(kafka.dir, "libs"), path.join(context, "libs"), { recursive: true });
      await dockerBuild(
        [image],
        dockerfile,
        { "log4j2.yaml": path.join(HERE, "kafka", "log4j2.yaml"), "kafka-kraft-start.sh": path.join(HERE, "kafka", "kafka-kraft-start.sh") },
        { [INPUTS_LABEL]: inputs },
        context,
      );
    } finally {
      await rm(context, { recursive: true, force: true });
    }
  });
  return image;
}
