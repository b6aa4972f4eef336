/**
 * How the healer's process is started, as its image does (healer/Dockerfile: ENV and ENTRYPOINT), so the
 * bench's workers run the same way; healer-runtime.test.ts checks the Dockerfile still says so. Both the
 * bare consumer and the healer get them: the two differ only in what they do with each record. The
 * figures and the reasons live with the image (cluster/images.ts, the healer's `runtime`), which the
 * sim's process runtime applies to healer pods too.
 */
import { findLabImage } from "../cluster/images.ts";

const healer = findLabImage("chaoslab/healer")?.runtime;
if (!healer) throw new Error("cluster/images.ts gives the healer image no runtime");

export const HEALER_NODE_FLAGS: readonly string[] = healer.nodeFlags;
export const HEALER_ENV: Readonly<Record<string, string>> = healer.env;
