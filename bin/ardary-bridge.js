#!/usr/bin/env node
// Entry point of the `ardary-bridge` command: registers the TypeScript loader, then runs src/cli.ts.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
