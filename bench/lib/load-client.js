// Load client for the HTTP benchmarks, run in a worker thread so it does not share the event
// loop of the server under test (it still shares the machine's cores, as the baseline does).
// Bodies are pre-built templates; each request fills in fresh event-id suffixes so every
// event is new to the platform's dedup, and fresh session suffixes (see bodyTemplates).
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');

const { url, key, templates, seconds, concurrency, rate, eventsPerBody, startCounter } = workerData;
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
let counter = startCounter;
let accepted = 0, failed = 0, requests = 0, inFlight = 0, next = 0, bodies = 0;
const latencies = [];

// Each part after the first starts with a marker: \u0001 a fresh event-id suffix, \u0002 this request's session suffix.
function body() {
  const parts = templates[next++ % templates.length];
  const session = (bodies++).toString(36);
  let out = parts[0];
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i];
    out += (p.charCodeAt(0) === 1 ? (counter++).toString(16).padStart(12, '0') : session) + p.slice(1);
  }
  return out;
}

function send() {
  return new Promise((resolve) => {
    const payload = body();
    const t0 = performance.now();
    inFlight++;
    const req = http.request({ agent, host: target.hostname, port: target.port, path: '/v1/events', method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'content-length': Buffer.byteLength(payload) } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        inFlight--;
        requests++;
        latencies.push(performance.now() - t0);
        if (res.statusCode === 202) accepted += JSON.parse(text).accepted ?? eventsPerBody;
        else failed += eventsPerBody;
        resolve();
      });
    });
    req.on('error', () => { inFlight--; failed += eventsPerBody; resolve(); });
    req.end(payload);
  });
}

async function main() {
  const end = performance.now() + seconds * 1000;
  if (rate > 0) {
    // Open loop: a request every interval whatever the answers, at most `concurrency` in flight.
    const interval = (1000 * eventsPerBody) / rate;
    let due = performance.now();
    while (performance.now() < end) {
      if (inFlight < concurrency) void send();
      due += interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 5));
  } else {
    await Promise.all(Array.from({ length: concurrency }, async () => { while (performance.now() < end) await send(); }));
  }
  latencies.sort((a, b) => a - b);
  parentPort.postMessage({ accepted, failed, requests, seconds, p50: latencies[Math.floor(latencies.length / 2)], p99: latencies[Math.floor(latencies.length * 0.99)] });
  agent.destroy();
}
main();
