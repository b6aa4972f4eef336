/**
 * TEST HOOK — `HEALER_FAULT_POINT=after-detect|after-create|after-delete` makes the process SIGKILL
 * itself the first time a remediation it started itself reaches that point. It exists so crash-safety
 * tests can kill the healer between two steps of a remediation and check that a restarted (or the
 * standby) healer finishes it. It fires at most once per process and never on a resumed remediation,
 * so a healer restarted with the same environment converges instead of crash-looping.
 * Never set it in production.
 */
import type { FaultPoint } from "./config.ts";

export type FaultPointHook = (point: FaultPoint) => void;

export function createFaultPointHook(
  configured: FaultPoint | undefined,
  onReached: (point: FaultPoint) => void = () => process.kill(process.pid, "SIGKILL"),
  beforeKill: (point: FaultPoint) => void = () => undefined,
): FaultPointHook {
  let fired = false;
  return (point) => {
    if (configured === undefined || point !== configured || fired) return;
    fired = true;
    beforeKill(point);
    onReached(point);
  };
}
