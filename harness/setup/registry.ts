/** Every setup action kind. A new action is one module in this folder plus one line here. */
import type { SetupActionType } from "./setup-action.ts";
import { applySetup } from "./apply.ts";
import { canarySetup } from "./canary.ts";
import { loadersSetup } from "./loaders.ts";

export const SETUP_ACTION_TYPES: readonly SetupActionType[] = [loadersSetup, applySetup, canarySetup] as SetupActionType[];
