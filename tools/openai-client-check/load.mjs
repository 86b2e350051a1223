// Sustained load with the official OpenAI client: C concurrent clients stream completions for D seconds;
// prints tokens/s, errors and latency percentiles every minute. Usage:
// TROPISM_URL=… TROPISM_KEY=… TROPISM_MODEL=… CLIENTS=32 SECONDS=600 node load.mjs
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: (process.env.TROPISM_URL ?? 'http://localhost:8080') + '/v1',
  apiKey: process.env.TROPISM_KEY, maxRetries: 0, timeout: 60_000 });
const model = process.env.TROPISM_MODEL;
const clients = Number(process.env.CLIENTS ?? 32);
const seconds = Number(process.env.SECONDS ?? 600);
const end = Date.now() + seconds * 1000;
let tokens = 0;
let requests = 0;
let errors = 0;
const latencies = [];
const errorKinds = {};

async function worker(id) {
  let seed = id * 1_000_000;
  while (Date.now() < end) {
    const t0 = Date.now();
    try {
      const stream = await client.completions.create({ model, prompt: `${id % 90 + 10}+${seed % 90 + 10}=`,
        max_tokens: Number(process.env.MAX_TOKENS ?? 16), temperature: 0.7, seed: seed++, stream: true, stream_options: { include_usage: true } });
      for await (const chunk of stream) {
        if (chunk.usage) {
          tokens += chunk.usage.completion_tokens;
        }
      }
      requests++;
      latencies.push(Date.now() - t0);
    } catch (e) {
      errors++;
      const kind = e.status ?? e.constructor.name;
      errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    }
  }
}

function pct(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0;
}

const start = Date.now();
let lastTokens = 0;
const ticker = setInterval(() => {
  const sorted = latencies.splice(0).sort((a, b) => a - b);
  console.log(`${Math.round((Date.now() - start) / 1000)} s: ${requests} requests, ${((tokens - lastTokens) / 60).toFixed(0)} tokens/s `
    + `in the last minute, p50 ${pct(sorted, 0.5)} ms, p99 ${pct(sorted, 0.99)} ms, errors ${errors} ${JSON.stringify(errorKinds)}`);
  lastTokens = tokens;
}, 60_000);
await Promise.all(Array.from({ length: clients }, (_, i) => worker(i)));
clearInterval(ticker);
console.log(`done: ${requests} requests, ${tokens} tokens in ${seconds} s (${(tokens / seconds).toFixed(0)} tokens/s), ${errors} errors ${JSON.stringify(errorKinds)}`);
process.exit(errors === 0 ? 0 : 1);
