import { setFlagsFromString } from 'node:v8';
import { parseConfig } from '@huijie/service-kit/config.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { serve } from '@huijie/service-kit/process.ts';
import { demo, standaloneConfigSchema } from './config.ts';
import { standalonePlatform } from './platform.ts';

// V8 runs WebAssembly in a baseline tier and recompiles a function with its optimising compiler once
// the function has run enough (its "tiering budget", 1,800,000 by default). Starting PGlite's Postgres
// and Prisma's query compiler runs thousands of functions a few times each, and optimising those took
// about 1 s of CPU and 35 MB while the platform started. Ten times the budget leaves the optimising to
// functions that stay hot: queries after the first few hundred measured as fast as with the default.
// V8 reads it when a module is instantiated, so before the databases open.
setFlagsFromString('--wasm-tiering-budget=18000000');
const started = performance.now();
const config = parseConfig(standaloneConfigSchema, process.env);
const logger = createLogger({ service: 'standalone', level: config.LOG_LEVEL });
const platform = await standalonePlatform(config);
await serve(platform.apps, { host: config.HOST, logger, cleanup: () => platform.release() });

const base = `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}`;
console.log(
  `Huijie (汇解) standalone — ready in ${Math.round(performance.now() - started)} ms, data in ${config.DATA_DIR}/`,
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
Deliveries are written to ${config.DATA_DIR}/notify-outbox.jsonl. Ctrl-C stops.`);
