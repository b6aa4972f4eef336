/**
 * Allure categories that split what a scenario found about the system from what went wrong with the
 * lab. Each scenario's Allure test carries a status and a message that starts with a tag:
 *
 *   status failed, "[resilience] ..."   the system under test did not hold            (verdict failed)
 *   status broken, "[inconclusive] ..." a fault was not shown to land, or no data     (verdict inconclusive)
 *   status broken, "[leak] ..."         something the run injected or created remained (verdict broken)
 *   status broken, "[lab] ..."          setup, revert, timeout, the lab itself         (verdict broken)
 *
 * Written in Allure's compatibility form (matchedStatuses/messageRegex) so both Allure 3 (regex test)
 * and Allure 2 (full match) read it the same: every pattern is anchored and ends in `[\s\S]*`.
 */
import { Status } from "allure-js-commons";
import type { Category } from "allure-js-commons/sdk";
import type { Verdict, VerdictReason } from "./results/verdict.ts";

/** Allure's category, with the fields every one of ours sets. */
export type AllureCategory = Category & { name: string; description: string; matchedStatuses: Status[]; messageRegex: string };

export const MESSAGE_TAGS = { resilience: "[resilience]", inconclusive: "[inconclusive]", leak: "[leak]", lab: "[lab]" } as const;

const anchored = (tag: string) => `^${tag.replace(/[[\]]/g, "\\$&")}[\\s\\S]*`;

/** A category of tests with `status` whose message starts with `tag`. */
function category(name: string, description: string, status: Status, tag: string): AllureCategory {
  return { name, description, matchedStatuses: [status], messageRegex: anchored(tag) };
}

export const ALLURE_CATEGORIES: AllureCategory[] = [
  category("Resilience failures", "The system under test did not hold: an expectation failed, or the steady state did not come back.", Status.FAILED, MESSAGE_TAGS.resilience),
  category(
    "Inconclusive: fault not shown to land, or no data",
    "Nothing was learned about the system: fix the fault's evidence or the probe's data source.",
    Status.BROKEN,
    MESSAGE_TAGS.inconclusive,
  ),
  category("Leaks after a scenario", "Toxics, stopped brokers or labelled objects remained after revert: run `chaoslab cleanup`.", Status.BROKEN, MESSAGE_TAGS.leak),
  category("Lab breakage", "The lab failed (setup, steady state before injection, revert, timeout, interruption).", Status.BROKEN, MESSAGE_TAGS.lab),
];

const STATUS_OF_VERDICT: Record<Verdict, Status> = {
  passed: Status.PASSED,
  failed: Status.FAILED,
  skipped: Status.SKIPPED,
  broken: Status.BROKEN,
  inconclusive: Status.BROKEN,
};

export function allureStatusOf(verdict: Verdict): Status {
  return STATUS_OF_VERDICT[verdict];
}

/** The tagged message of a scenario's Allure test: the reason that decided its verdict, tagged. */
export function allureMessageOf(verdict: Verdict, reasons: readonly VerdictReason[]): string | undefined {
  if (verdict === "passed") return undefined;
  const decisive = reasons.find((reason) => reason.verdict === verdict) ?? reasons[0];
  const text = decisive ? `${decisive.source}: ${decisive.message}` : verdict;
  if (verdict === "failed") return `${MESSAGE_TAGS.resilience} ${text}`;
  if (verdict === "inconclusive") return `${MESSAGE_TAGS.inconclusive} ${text}`;
  if (verdict === "skipped") return text;
  return `${decisive?.source === "leak-audit" ? MESSAGE_TAGS.leak : MESSAGE_TAGS.lab} ${text}`;
}

/** Which category Allure will put a scenario in (first match, as Allure does). */
export function categoryOf(verdict: Verdict, reasons: readonly VerdictReason[]): AllureCategory | undefined {
  const status = allureStatusOf(verdict);
  const message = allureMessageOf(verdict, reasons) ?? "";
  return ALLURE_CATEGORIES.find((category) => category.matchedStatuses.includes(status) && new RegExp(category.messageRegex).test(message));
}
