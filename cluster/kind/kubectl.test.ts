import { describe, expect, it } from "vitest";
import { FakeCommandRunner } from "../testing/fake-command-runner.ts";
import { Kubectl } from "./kubectl.ts";

describe("Kubectl", () => {
  it("applies objects server-side as one JSON v1 List (kubectl cannot read JSON documents split by ---)", async () => {
    const runner = new FakeCommandRunner();
    const objects = [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "a", labels: { on: "yes" } } },
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "b" } },
    ];
    await new Kubectl(runner.run, "/state/kubeconfig").apply(objects, { what: "apply", hint: "-" }, { namespace: "kafka" });
    const [call] = runner.calls;
    expect(call!.args).toEqual(["--kubeconfig", "/state/kubeconfig", "apply", "--server-side", "--force-conflicts", "--field-manager=chaoslab", "--namespace", "kafka", "-f", "-"]);
    expect(JSON.parse(call!.input!)).toEqual({ apiVersion: "v1", kind: "List", items: objects });
  });

  it("a failing call names what was done, the command, kubectl's words and what to do", async () => {
    const runner = new FakeCommandRunner().on("kubectl get", { exitCode: 1, stderr: 'Error from server (NotFound): kafkas.kafka.strimzi.io "x" not found' });
    await expect(new Kubectl(runner.run, "/k").getJson(["get", "kafkas.kafka.strimzi.io", "x"], { what: "read Kafka x", hint: "create it" })).rejects.toThrow(
      'read Kafka x failed: `kubectl --kubeconfig /k get kafkas.kafka.strimzi.io x -o json` exited with code 1:\nError from server (NotFound): kafkas.kafka.strimzi.io "x" not found\nWhat to do: create it',
    );
  });
});
