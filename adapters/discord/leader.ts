// Exactly one gateway connection however many processes share the database: the process that
// holds a Postgres advisory lock (on a connection of its own, so the lock lives exactly as long
// as that session) connects; the others retry every `retryMs`, and one of them takes over
// once the holder's session ends (process stopped or killed: Postgres frees the lock).
// With PGlite there is only one process, so it always leads.
import type { Logger } from "pino";
import postgres from "postgres";

export interface LeaderOptions {
  /** Postgres URL; absent (PGlite) means this process is the only one and always leads. */
  databaseUrl?: string;
  /** Lock name, shared by every process of one bot. */
  key: string;
  /** How often a standby tries the lock and the holder checks it still has it, in ms. */
  retryMs: number;
  log: Logger;
  /** Becomes leader: connect. A throw gives the lock back and tries again later. */
  onLead(): Promise<void>;
  /** Lost or gave up the lead: disconnect. */
  onLose(): Promise<void>;
}

export class Leader {
  private sql: postgres.Sql | undefined;
  /** Backend pid of the session that holds the lock: a reconnected session holds nothing. */
  private pid: number | undefined;
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(private readonly o: LeaderOptions) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /** Makes the first attempt (connecting when it wins), then keeps trying in the background. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), this.o.retryMs);
    this.timer.unref();
  }

  private tick(): Promise<void> {
    this.ticking = this.attempt().finally(() => this.schedule());
    return this.ticking;
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!this.o.databaseUrl) {
        if (!this.leading) await this.lead();
        return;
      }
      this.sql ??= postgres(this.o.databaseUrl, {
        max: 1,
        idle_timeout: 0,
        // The lock belongs to the session: never recycle it behind our back.
        max_lifetime: null,
        connect_timeout: 5,
        onnotice: () => {},
      });
      if (this.leading) {
        const [row] = await this.sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
        if (row?.pid !== this.pid) throw new Error("the session holding the gateway lock ended");
        return;
      }
      const [row] = await this.sql<{ ok: boolean; pid: number }[]>`
        select pg_try_advisory_lock(hashtext(${this.o.key})) as ok, pg_backend_pid() as pid`;
      if (!row?.ok) return;
      this.pid = row.pid;
      await this.lead();
    } catch (err) {
      this.o.log.warn({ err: String(err) }, "discord gateway lock: lost or unreachable");
      await this.lose();
      await this.sql?.end({ timeout: 1 }).catch(() => {});
      this.sql = undefined;
    }
  }

  private async lead(): Promise<void> {
    this.leading = true;
    this.o.log.info("discord: this process holds the gateway connection");
    try {
      await this.o.onLead();
    } catch (err) {
      this.o.log.error({ err: String(err) }, "discord: gateway connection failed; retrying");
      await this.lose();
      if (this.sql) await this.sql`select pg_advisory_unlock(hashtext(${this.o.key}))`;
    }
  }

  private async lose(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    this.pid = undefined;
    await this.o.onLose().catch(() => {});
  }

  /** Disconnects and gives the lock back (its session ends). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking?.catch(() => {});
    await this.lose();
    await this.sql?.end({ timeout: 5 }).catch(() => {});
    this.sql = undefined;
  }
}
