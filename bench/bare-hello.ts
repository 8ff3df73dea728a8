import { createServer } from 'node:http';

/**
 * The baseline: a bare `node:http` server that answers "hello" and does nothing else. Listens on
 * 127.0.0.1:$PORT (run as a child process by bench/run.ts). It reads (and drops) any request
 * body, so the same driver can send it GETs or POSTs.
 */
const port = Number(process.env.PORT ?? 0);
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' });
    res.end('hello');
  });
});
server.listen(port, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`bare hello on ${typeof addr === 'object' && addr ? addr.port : port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
