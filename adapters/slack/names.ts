// Names by id (people, channels), asked of Slack once and cached; the id (or a fallback) when
// Slack cannot say, and asked again next time.
import type { Logger } from "pino";
import { errorMessage } from "../../src/kernel/errors.ts";

export function cachedNames(
  method: string,
  lookup: (id: string) => Promise<string | undefined>,
  log: Logger,
  limit = 5000,
): (id: string, fallback?: string) => Promise<string> {
  const names = new Map<string, Promise<string>>();
  return (id, fallback) => {
    let name = names.get(id);
    if (!name) {
      name = lookup(id)
        .then((found) => found || fallback || id)
        .catch((err) => {
          names.delete(id);
          log.warn({ err: errorMessage(err) }, `${method} failed: showing the id`);
          return fallback ?? id;
        });
      names.set(id, name);
      if (names.size > limit) names.delete(names.keys().next().value as string);
    }
    return name;
  };
}
