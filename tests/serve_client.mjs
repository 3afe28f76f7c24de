// Drives a running `qlm serve` for tests/cli_serve.sh. Usage:
//   node tests/serve_client.mjs PORT CHECK [ARGS...]
// Prints one JSON result line on stdout; exits non-zero on a failed check.
// Uses only Node's standard library, except the "openai" checks, which import the
// official client from $QLM_NODE_DIR/node_modules (installed by the test from npm).
import net from 'node:net';
import http from 'node:http';
import { createRequire } from 'node:module';

const [port, check, ...args] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;

function request(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body));
    const hdrs = { 'Content-Type': 'application/json', ...headers };
    if (data !== undefined && !('chunked' in headers)) hdrs['Content-Length'] = Buffer.byteLength(data);
    delete hdrs.chunked;
    const req = http.request(base + path, { method, headers: hdrs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

// Concatenate the deltas of a server-sent-events answer.
function sseText(raw, chat) {
  let out = '';
  let done = false;
  for (const line of raw.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const payload = line.slice(6);
    if (payload === '[DONE]') { done = true; continue; }
    const j = JSON.parse(payload);
    const c = j.choices[0];
    out += chat ? (c.delta.content ?? '') : c.text;
  }
  if (!done) throw new Error('stream did not end with [DONE]');
  return out;
}

const fail = (msg) => { console.log(JSON.stringify({ ok: false, msg })); process.exit(1); };

async function main() {
  switch (check) {
    case 'complete': { // args: prompt max_tokens seed stream(0/1)
      const [prompt, max, seed, stream] = args;
      const body = { prompt, max_tokens: +max, seed: +seed, stream: stream === '1' };
      const r = await request('POST', '/v1/completions', body);
      if (r.status !== 200) fail(`status ${r.status}: ${r.text}`);
      const text = stream === '1' ? sseText(r.text, false) : JSON.parse(r.text).choices[0].text;
      console.log(JSON.stringify({ ok: true, text }));
      break;
    }
    case 'chat': { // args: user_message max_tokens seed stream(0/1)
      const [msg, max, seed, stream] = args;
      const body = { messages: [{ role: 'user', content: msg }], max_tokens: +max, seed: +seed, stream: stream === '1' };
      const r = await request('POST', '/v1/chat/completions', body);
      if (r.status !== 200) fail(`status ${r.status}: ${r.text}`);
      const text = stream === '1' ? sseText(r.text, true) : JSON.parse(r.text).choices[0].message.content;
      console.log(JSON.stringify({ ok: true, text }));
      break;
    }
    case 'openai': { // args: prompt user_message max_tokens seed -> texts from the official client
      // resolved from the folder the test installed it in (QLM_NODE_DIR/node_modules)
      const req = createRequire(`${process.env.QLM_NODE_DIR}/package.json`);
      const mod = req('openai');
      const OpenAI = mod.default ?? mod.OpenAI ?? mod;
      const [prompt, msg, max, seed] = args;
      const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: process.env.QLM_KEY || 'none' });
      const c1 = await client.completions.create({ model: 'x', prompt, max_tokens: +max, seed: +seed });
      const chat = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: msg }], max_tokens: +max, seed: +seed });
      let streamed = '';
      const st = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: msg }], max_tokens: +max, seed: +seed, stream: true });
      for await (const part of st) streamed += part.choices[0]?.delta?.content ?? '';
      let cstream = '';
      const st2 = await client.completions.create({ model: 'x', prompt, max_tokens: +max, seed: +seed, stream: true });
      for await (const part of st2) cstream += part.choices[0]?.text ?? '';
      const models = await client.models.list();
      console.log(JSON.stringify({ ok: true, completion: c1.choices[0].text, completion_stream: cstream,
        chat: chat.choices[0].message.content, chat_stream: streamed, n_models: models.data.length }));
      break;
    }
    case 'concurrent': { // args: clients requests_each
      const [clients, each] = args.map(Number);
      let okCount = 0;
      const worker = async (w) => {
        for (let i = 0; i < each; i++) {
          const chat = (i + w) % 2 === 0;
          const r = chat
            ? await request('POST', '/v1/chat/completions', { messages: [{ role: 'user', content: `hi ${w} ${i}` }], max_tokens: 8, seed: i })
            : await request('POST', '/v1/completions', { prompt: `Once ${w} ${i}`, max_tokens: 8, seed: i }, i % 3 === 0 ? { chunked: 1 } : {});
          if (r.status !== 200) throw new Error(`client ${w} request ${i}: status ${r.status} ${r.text}`);
          const j = JSON.parse(r.text);
          if (!j.choices || !j.usage) throw new Error(`client ${w} request ${i}: bad body ${r.text}`);
          okCount++;
        }
      };
      await Promise.all(Array.from({ length: clients }, (_, w) => worker(w)));
      console.log(JSON.stringify({ ok: okCount === clients * each, completed: okCount }));
      break;
    }
    case 'bad': { // every malformed request gets a 4xx JSON error
      const cases = [
        ['truncated JSON', 'POST', '/v1/completions', '{"prompt": "Once', 400],
        ['not an object', 'POST', '/v1/completions', '[1,2]', 400],
        ['prompt of the wrong type', 'POST', '/v1/completions', { prompt: 5 }, 400],
        ['max_tokens of the wrong type', 'POST', '/v1/completions', { prompt: 'a', max_tokens: 'ten' }, 400],
        ['temperature out of range', 'POST', '/v1/completions', { prompt: 'a', temperature: 9 }, 400],
        ['stop of the wrong type', 'POST', '/v1/completions', { prompt: 'a', stop: [1] }, 400],
        ['messages missing', 'POST', '/v1/chat/completions', { prompt: 'a' }, 400],
        ['message without role', 'POST', '/v1/chat/completions', { messages: [{ content: 'a' }] }, 400],
        ['empty body', 'POST', '/v1/completions', undefined, 400],
        ['unknown route', 'GET', '/v2/nothing', undefined, 404],
        ['wrong method', 'GET', '/v1/completions', undefined, 405],
        ['10 MB body', 'POST', '/v1/completions', JSON.stringify({ prompt: 'x'.repeat(10 * 1024 * 1024) }), 413],
      ];
      const results = [];
      for (const [name, method, path, body, want] of cases) {
        let r;
        try { r = await request(method, path, body); } catch (e) { r = { status: 0, text: String(e) }; }
        let jsonOk = false;
        try { jsonOk = !!JSON.parse(r.text).error; } catch { jsonOk = false; }
        results.push({ name, status: r.status, want, ok: r.status === want && jsonOk });
      }
      const bad = results.filter((x) => !x.ok);
      console.log(JSON.stringify({ ok: bad.length === 0, failed: bad }));
      if (bad.length) process.exit(1);
      break;
    }
    case 'slow': { // a client that sends one byte a second while others are served
      const sock = net.connect(+port, '127.0.0.1');
      const line = 'POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n';
      let i = 0;
      const timer = setInterval(() => { if (i < line.length) sock.write(line[i++]); }, 1000);
      const others = [];
      for (let k = 0; k < 3; k++) others.push(request('POST', '/v1/completions', { prompt: 'Once', max_tokens: 4, seed: k }));
      const rs = await Promise.all(others);
      clearInterval(timer);
      sock.destroy();
      console.log(JSON.stringify({ ok: rs.every((r) => r.status === 200) }));
      break;
    }
    case 'disconnect': { // drop a streaming request after its first event; the server must carry on
      await new Promise((resolve, reject) => {
        const req = http.request(base + '/v1/completions', { method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
          res.once('data', () => { req.destroy(); resolve(); });
        });
        req.on('error', () => resolve());
        req.write(JSON.stringify({ prompt: 'Once upon a time', max_tokens: 1500, stream: true, seed: 1 }));
        req.end();
      });
      const r = await request('POST', '/v1/completions', { prompt: 'Once', max_tokens: 4, seed: 3 });
      console.log(JSON.stringify({ ok: r.status === 200 }));
      break;
    }
    case 'status': { // args: method path [authorization]
      const [method, path, auth] = args;
      const r = await request(method, path, method === 'POST' ? { prompt: 'a', max_tokens: 1 } : undefined, auth ? { Authorization: auth } : {});
      console.log(JSON.stringify({ ok: true, status: r.status }));
      break;
    }
    default:
      fail(`unknown check ${check}`);
  }
}

main().catch((e) => fail(String(e && e.stack || e)));
