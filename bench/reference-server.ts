// The reference of figure 1 (bare Express + one INSERT, bench/figures/ingest.ts) in a process of
// its own, for `bench/profile-ingest.ts reference`: prints its URL as one JSON line, runs until
// SIGTERM.
import { startReference } from "./figures/ingest.ts";

process.env.TEST_DB = "postgres";
const ref = await startReference();
console.log(JSON.stringify({ url: ref.url }));
process.once("SIGTERM", () => {
  void ref.close().finally(() => process.exit(0));
});
