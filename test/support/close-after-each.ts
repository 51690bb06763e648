// What a flow test starts (a Slack or Discord world, a fake), closed after each test: a file
// calls `closeAfterEach()` once and wraps what it starts, `const slack = keep(await
// startSlackWorld())`; what was kept is closed in the order it was started, even when the test
// failed.
import { afterEach } from "vitest";

export function closeAfterEach(): <T extends { close(): Promise<void> }>(started: T) => T {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close();
  });
  return (started) => {
    open.push(started);
    return started;
  };
}
