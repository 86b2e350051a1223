// Drives Tropism with the unmodified official OpenAI Node client: list models, complete, chat, and
// stream both. Usage: TROPISM_URL=http://localhost:8080 TROPISM_KEY=tro_… [TROPISM_MODEL=model_…] node check.mjs
import OpenAI from 'openai';

const baseURL = (process.env.TROPISM_URL ?? 'http://localhost:8080') + '/v1';
const client = new OpenAI({ baseURL, apiKey: process.env.TROPISM_KEY, maxRetries: 0 });

function check(condition, what) {
  if (!condition) {
    throw new Error('FAILED: ' + what);
  }
  console.log('ok   ' + what);
}

const models = [];
for await (const m of client.models.list()) {
  models.push(m);
}
check(models.length > 0 && models.every((m) => m.object === 'model' && typeof m.created === 'number' && m.owned_by),
  `models.list: ${models.length} models, each with object "model", created and owned_by`);
const lm = models.filter((m) => m.family === 'language-model' && m.status === 'ready');
const model = process.env.TROPISM_MODEL ?? lm[lm.length - 1]?.id;
check(model, `a ready language model to call: ${model}`);

const completion = await client.completions.create({ model, prompt: '12+34=', max_tokens: 6, temperature: 0, seed: 1 });
check(completion.object === 'text_completion' && typeof completion.choices[0].text === 'string'
  && completion.choices[0].finish_reason && completion.usage.total_tokens > 0,
  `completions.create: ${JSON.stringify(completion.choices[0].text)} (${completion.choices[0].finish_reason}), usage ${JSON.stringify(completion.usage)}`);

const chat = await client.chat.completions.create({ model, messages: [{ role: 'user', content: '12+34=' }],
  max_tokens: 6, temperature: 0.7, seed: 2, n: 2 });
check(chat.object === 'chat.completion' && chat.choices.length === 2 && chat.choices[0].message.role === 'assistant',
  `chat.completions.create with n=2: ${chat.choices.map((c) => JSON.stringify(c.message.content)).join(', ')}`);

let streamed = '';
let chunks = 0;
const stream = await client.completions.create({ model, prompt: '12+34=', max_tokens: 6, temperature: 0, seed: 1, stream: true });
for await (const chunk of stream) {
  streamed += chunk.choices[0]?.text ?? '';
  chunks++;
}
check(streamed === completion.choices[0].text, `completions stream: ${chunks} chunks, same text as without streaming`);

let chatStreamed = '';
const chatStream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: '12+34=' }],
  max_tokens: 6, temperature: 0, seed: 3, stream: true, stream_options: { include_usage: true } });
let usage = null;
for await (const chunk of chatStream) {
  chatStreamed += chunk.choices[0]?.delta?.content ?? '';
  usage = chunk.usage ?? usage;
}
check(usage && usage.completion_tokens > 0, `chat stream: ${JSON.stringify(chatStreamed)}, usage ${JSON.stringify(usage)}`);

try {
  await client.completions.create({ model: 'model_doesnotexist', prompt: 'x' });
  check(false, 'unknown model is an error');
} catch (e) {
  check(e instanceof OpenAI.NotFoundError && e.error?.code === 'model_not_found', `unknown model: ${e.status} ${e.error?.code}`);
}
try {
  await client.completions.create({ model, prompt: 'x', temperature: 5 });
  check(false, 'bad temperature is an error');
} catch (e) {
  check(e instanceof OpenAI.BadRequestError && e.error?.param === 'temperature', `temperature 5: ${e.status} param ${e.error?.param}`);
}
console.log('all checks passed');
