/**
 * The teardown shared by setup actions: delete every object of some kinds that carries the run's label.
 * Deleting by label, not by name, also removes what others derived from ours — the healer's
 * replacement Jobs copy the original's labels, so `loader-1-r1` goes away with `loader-1`.
 */
import { z } from "zod";
import type { RevertContext } from "../core/context.ts";

export const deleteLabelledAction = z
  .object({
    namespace: z.string(),
    labelSelector: z.string().min(1),
    kinds: z.array(z.object({ apiVersion: z.string(), kind: z.string() }).strict()).min(1),
  })
  .strict();

export type DeleteLabelledAction = z.infer<typeof deleteLabelledAction>;

export async function deleteLabelled(action: DeleteLabelledAction, ctx: RevertContext): Promise<void> {
  for (const { apiVersion, kind } of action.kinds) {
    const objects = await ctx.kube.list({ apiVersion, kind, namespace: action.namespace, labelSelector: action.labelSelector });
    for (const object of objects) {
      await ctx.kube.delete(
        { apiVersion, kind, namespace: action.namespace, name: object.metadata.name },
        { uid: object.metadata.uid, propagationPolicy: "Background" },
      );
    }
  }
}
