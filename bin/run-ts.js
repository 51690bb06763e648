#!/usr/bin/env node
// Runs a TypeScript file given as the first argument (used by `npm run bench`).
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";

register();
const file = process.argv[2];
if (!file) throw new Error("usage: run-ts.js <file.ts> [args…]");
process.argv.splice(2, 1);
await import(pathToFileURL(resolve(file)).href);
