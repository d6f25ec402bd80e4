import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { eventually } from '@huijie/testing/servers.ts';

const root = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

export type ServiceName = 'ingest-12345' | 'ingest-wechat' | 'routing' | 'cases' | 'notify';

/** The variable each service takes its HTTP port from. */
const portVariable: Record<ServiceName, string> = {
  'ingest-12345': 'INGEST_12345_PORT',
  'ingest-wechat': 'INGEST_WECHAT_PORT',
  routing: 'ROUTING_PORT',
  cases: 'CASES_PORT',
  notify: 'NOTIFY_PORT',
};

/** A port nobody listens on right now (the OS picks it), for a service that keeps it across restarts. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** How long the process took to exit after the test's signal (ms); undefined when nobody asked. */
  afterMs?: number;
}

class ExitedWhileStarting extends Error {}

/**
 * One service run as production runs it — `node --import tsx services/<name>/src/main.ts` with
 * its environment — and supervised as production would be: when it exits without the test
 * asking, that exit is recorded and the service is started again (a consumer that crashed
 * beyond recovery exits so that its supervisor restarts it). A test decides whether such
 * exits are acceptable for the fault it injects.
 */
export class ServiceProcess {
  readonly port: number;
  readonly url: string;
  /** Exits nobody asked for, with the last lines the service logged before each. */
  readonly unexpectedExits: (Exit & { log: string[] })[] = [];
  /** Log lines at level error or fatal, over every run of the service. */
  readonly errors: string[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<Exit> | undefined;
  private log: string[] = [];
  private stopping = false;
  private restarting: Promise<void> | undefined;

  constructor(
    readonly name: ServiceName,
    private readonly env: Record<string, string>,
    port: number,
  ) {
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The last lines the service logged (for a failing test's message). */
  tail(lines = 40): string {
    return this.log.slice(-lines).join('\n');
  }

  /** The last lines logged at warn level or above. */
  warnings(lines = 10): string {
    return this.log
      .filter((line) => !line.startsWith('{') || /"level":(4|5|6)0/.test(line))
      .slice(-lines)
      .map((line) => line.slice(0, 600))
      .join('\n');
  }

  /**
   * Starts the process and waits until it is ready (/readyz: its consumers have joined their
   * groups). `supervised`: a supervisor's restart, which keeps trying when the process exits while
   * starting; a first start that fails is the test's to handle.
   */
  async start(timeoutMs = 90_000, supervised = false): Promise<void> {
    this.stopping = false;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'services', this.name, 'src/main.ts')],
      {
        cwd: root,
        env: { ...process.env, ...this.env, [portVariable[this.name]]: String(this.port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    const keep = (line: string) => {
      this.log.push(line);
      if (this.log.length > 400) this.log.splice(0, this.log.length - 400);
      if (/"level":(50|60)/.test(line)) this.errors.push(line);
    };
    createInterface({ input: child.stdout! }).on('line', keep);
    createInterface({ input: child.stderr! }).on('line', keep);
    this.exited = new Promise<Exit>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    let ready = false;
    void this.exited.then((exit) => {
      if (this.child !== child || this.stopping || !(ready || supervised)) return;
      this.unexpectedExits.push({ ...exit, log: this.log.slice(-40) });
      this.restarting = new Promise((resolve) => setTimeout(resolve, 500))
        .then(() => (this.stopping ? undefined : this.start(undefined, true)))
        .catch((error) => {
          // Its exit has scheduled the next restart already, as a supervisor keeps trying.
          if (!(error instanceof ExitedWhileStarting)) throw error;
        });
    });
    // A process that exits before it is ready failed to start: said at once, not at the timeout.
    let gone = false;
    const exitedWhileStarting = this.exited.then((exit): never => {
      gone = true;
      throw new ExitedWhileStarting(`${this.name} exited while starting (${JSON.stringify(exit)})`);
    });
    // An exit once it is ready is the supervisor's (above), not the start's.
    exitedWhileStarting.catch(() => {});
    await Promise.race([
      eventually(
        async () => {
          if (gone) return true; // ends the polling: the race is lost already
          const answer = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2_000) });
          return answer.ok;
        },
        { what: `${this.name} to be ready (/readyz)`, timeoutMs, intervalMs: 200 },
      ),
      exitedWhileStarting,
    ]).catch((error: Error) => {
      const told = `${error.message}\n--- ${this.name} log ---\n${this.tail()}`;
      throw error instanceof ExitedWhileStarting ? new ExitedWhileStarting(told) : new Error(told);
    });
    ready = true;
  }

  /** Sends a signal and waits for the process to exit: SIGKILL is a crash, SIGTERM a supervisor's stop. */
  async signal(signal: 'SIGKILL' | 'SIGTERM', timeoutMs = 45_000): Promise<Exit> {
    await this.restarting;
    const child = this.child;
    const exited = this.exited;
    if (!child || !exited) throw new Error(`${this.name} is not running`);
    this.stopping = true;
    const sent = Date.now();
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new Error(`${this.name} still running ${timeoutMs} ms after ${signal}\n${this.tail()}`)),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    return { ...exit, afterMs: Date.now() - sent };
  }

  /** kill -9, then a supervisor's restart on the same port. */
  async crashAndRestart(): Promise<void> {
    await this.signal('SIGKILL');
    await this.start();
  }

  /** Stops it for good (end of a test): SIGKILL if it does not go within a few seconds of SIGTERM. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.restarting?.catch(() => {});
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const done = await Promise.race([
      this.exited!.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 10_000)),
    ]);
    if (!done) {
      child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/**
 * A Kafka broker of this test file's own (scripts/kafka/start.sh with its own port and data
 * directory), so the test can stop and start it without touching the broker other tests share.
 */
export class DedicatedBroker {
  readonly brokers: string[];

  constructor(
    readonly port: number,
    readonly controllerPort: number,
    readonly dataDir: string,
  ) {
    this.brokers = [`127.0.0.1:${port}`];
  }

  /**
   * Whether this machine can run a broker (scripts/kafka needs Java 17+). Without one the test
   * file is skipped with a loud message — except under CI=true, where it must run.
   */
  static available(): boolean {
    // The Java scripts/kafka/lib.sh picks: $JAVA_HOME's, else the one on the PATH.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash parameter expansion, for bash
    if (spawnSync('bash', ['-c', '"${JAVA_HOME:+$JAVA_HOME/bin/}java" -version']).status === 0) return true;
    const inCi = process.env.CI === 'true' || process.env.CI === '1';
    if (inCi)
      throw new Error("no Java for the test's own Kafka broker (CI=true: failing instead of skipping)");
    console.warn(
      '\n*** SKIPPING the Kafka broker restart tests: no Java 17+ for scripts/kafka/start.sh ***\n',
    );
    return false;
  }

  private script(name: 'start.sh' | 'stop.sh', args: string[] = []) {
    return run('bash', [join(root, 'scripts/kafka', name), ...args], {
      env: {
        ...process.env,
        KAFKA_PORT: String(this.port),
        KAFKA_CONTROLLER_PORT: String(this.controllerPort),
        KAFKA_DATA: this.dataDir,
        // A lighter broker than the shared one: it holds one test's topics.
        KAFKA_HEAP_OPTS: '-Xms128m -Xmx384m',
        KAFKA_STOP_TIMEOUT: '20',
      },
      timeout: 150_000,
    });
  }

  /** Starts (or waits for) the broker; resolves once it serves metadata. Returns how long it took. */
  async start(): Promise<number> {
    const started = Date.now();
    await this.script('start.sh');
    return Date.now() - started;
  }

  /** A clean stop (SIGTERM, as an operator's restart does); the data stays. */
  async stop(): Promise<number> {
    const started = Date.now();
    await this.script('stop.sh');
    return Date.now() - started;
  }

  /** Stops it and deletes its data directory. */
  async destroy(): Promise<void> {
    await this.script('stop.sh', ['--wipe']);
  }
}
