/**
 * A consumer run as a child process by the contract suite, so a crash can be a real kill -9.
 * Prints "handled <offset>" per message; hangs forever on the event whose sourceRef is "hang".
 */
import { createEventBus } from '../src/bus.ts';
import { type EngineSpec, openEngine } from './engines.ts';

const spec = JSON.parse(process.env.ENGINE_SPEC!) as EngineSpec;
const bus = createEventBus(await openEngine(spec, 'crash-child'), { source: '/test/crash-child' });
await bus.subscribe({
  group: process.env.GROUP!,
  topics: [process.env.TOPIC!],
  handlers: {
    'dispute.intake.v1': async (event, ctx) => {
      if (event.sourceRef === 'hang') {
        console.log(`hanging ${ctx.offset}`);
        await new Promise(() => {});
      }
      console.log(`handled ${ctx.offset}`);
    },
  },
});
console.log('subscribed');
