#!/usr/bin/env node
// The `chaoslab` command: runs the TypeScript CLI in-process through tsx (no build step).
import { register } from "tsx/esm/api";

register();
await import("../harness/cli/main.ts");
