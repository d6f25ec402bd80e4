import { loadDepartmentDirectory } from '@huijie/routing/domain/departments.ts';
import { parseConfig } from '@huijie/service-kit/config.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { exitOnStartupFailure, serve } from '@huijie/service-kit/process.ts';
import { demo, standaloneConfigSchema } from './config.ts';
import { standalonePlatform } from './platform.ts';

// `npm start` runs this file, bundled by standalone/start.mjs, with three V8 settings, in
// package.json's start script (Node's docs advise against changing V8's flags in a running
// process). Measured on a 2-core machine, idle RSS and CPU used until ready, each against the
// same start without it:
// - --wasm-tiering-budget=18000000, ten times Node 20's default: V8 recompiles a WebAssembly
//   function with its optimising compiler once it has run "enough". Starting PGlite's Postgres and
//   Prisma's query compiler runs thousands of functions a few times each; optimising those cost
//   about 1 s of CPU during the start with Node's four background threads, 0.25 s with one.
//   Queries after the first few hundred measured as fast either way. (Newer V8s have raised the
//   default to 13,000,000 themselves.)
// - --v8-pool-size=1: one V8 background thread instead of Node's four. The start was no slower, and
//   every thread that had compiled or collected garbage kept a glibc malloc arena of freed memory
//   resident: about 45 MB.
// - --max-semi-space-size=4: V8's young generation grows to semi-spaces of 16 MB, and the event
//   log's idle polling kept them there: about 40 MB. The start was no slower with 4 MB.
exitOnStartupFailure('standalone');
const config = parseConfig(standaloneConfigSchema, process.env);
const logger = createLogger({ service: 'standalone', level: config.LOG_LEVEL });
const platform = await standalonePlatform(config);
await serve(platform.apps, { host: config.HOST, logger, cleanup: () => platform.release() });

const base = `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}`;
// Counted from the process's start (performance's time origin): node's own start and the
// bundle's build and load included.
console.log(
  `Huijie (汇解) standalone — ready in ${Math.round(performance.now())} ms, data in ${config.DATA_DIR}/`,
);
for (const { name, port } of platform.apps) console.log(`  ${name.padEnd(13)} ${base}:${port}`);
console.log(`
Demo credentials (standalone mode only):
  12345 hotline client  ${demo.hotlineClient.id} / ${demo.hotlineClient.secret}
  WeChat account        token ${demo.wechat.token}, appid ${demo.wechat.appId}, EncodingAESKey ${demo.wechat.encodingAesKey}
  WeChat form           ${config.PUBLIC_BASE_URL}/apply?town=350802107  (江山镇; QR code: /v1/qrcodes/350802107.svg)
  court client          ${demo.courtClient.id} / ${demo.courtClient.secret}  (may refer for ${demo.courtClient.courts.join(', ')})
  one-screen overview   http://localhost:${config.CASES_PORT}/overview  (sign in as the operator)
  operator              ${demo.operator.username} / ${demo.operator.password}  (city-wide, ${demo.operator.scope})
  agency API key        x-api-key: ${demo.agencyKey.key}  (${demo.agencyKey.department.code} ${demo.agencyKey.department.name})
More operators and keys: npx tsx services/cases/scripts/accounts.ts (platform stopped).`);
// A misspelt department code in AGENCY_WEBHOOKS would otherwise send nothing, silently.
const departments = config.AGENCY_WEBHOOKS.size > 0 ? loadDepartmentDirectory() : undefined;
for (const [code, target] of config.AGENCY_WEBHOOKS) {
  const name = departments?.get(code)?.name ?? 'NOT a department code: nothing will be sent there';
  console.log(`Webhooks for ${code} (${name}) → ${target.url}`);
}
/**
 * Only the demo client of a channel pushes here: an entry for another id is never called, and with
 * the variable set the demo client's callbacks no longer fall back to the outbox file.
 */
function announceCallbacks(
  channel: string,
  what: string,
  demoClient: string,
  targets: ReadonlyMap<string, { url: string }>,
) {
  for (const [client, target] of targets) {
    const whose =
      client === demoClient
        ? `signed ${what}`
        : `NOT ${demoClient}, the ${channel} client here: nothing will be sent there`;
    console.log(
      `${channel[0]!.toUpperCase()}${channel.slice(1)} callbacks for ${client} (${whose}) → ${target.url}`,
    );
  }
  if (targets.size > 0 && !targets.has(demoClient))
    console.log(
      `No ${channel} callback for ${demoClient}: its ${what} are dead-lettered (replayable), not sent.`,
    );
}
announceCallbacks('hotline', '办结反馈 result callbacks', demo.hotlineClient.id, config.HOTLINE_CALLBACKS);
announceCallbacks('court', 'result callbacks', demo.courtClient.id, config.COURT_CALLBACKS);
const called = config.AGENCY_WEBHOOKS.size + config.HOTLINE_CALLBACKS.size + config.COURT_CALLBACKS.size > 0;
console.log(
  `${called ? 'Other deliveries' : 'Deliveries'} are written to ${config.DATA_DIR}/notify-outbox.jsonl. Ctrl-C stops.`,
);
