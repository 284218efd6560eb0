// @ts-check
/**
 * natlab's traffic helper, run inside a lab namespace by the harness:
 *
 *   peer.ts tcp-server --port P [--bind ADDR] --bytes N
 *   peer.ts tcp-client --to ADDR --port P --bytes N
 *   peer.ts udp-server --port P [--bind ADDR] --bytes N
 *   peer.ts udp-client --to ADDR --port P --bytes N
 *
 * The client sends N bytes of its stream, the server checks every byte and
 * answers with N bytes of its own stream, which the client checks. Servers
 * print "ready" once listening; both sides print one JSON line with the
 * outcome and exit 0 only if every byte arrived intact.
 *
 * Plain JavaScript (type-checked by tsc through JSDoc), run by node with no
 * loader: it starts in a fraction of the time a TypeScript file needs, which
 * matters under emulation (labs inside a qemu VM) where every flow starts it.
 */
import { createSocket } from "node:dgram";
import { createConnection, createServer, isIPv6 } from "node:net";
import { CLIENT_SEED, firstDifference, pattern, SERVER_SEED } from "./pattern.mjs";

/** @typedef {{ mode: string; to?: string; bind?: string; port: number; bytes: number; timeout: number }} Args */

/**
 * @param {string[]} argv
 * @returns {Args}
 */
function parseArgs(argv) {
  /** @type {Args} */
  const a = { mode: argv[0] ?? "", port: 0, bytes: 1024, timeout: 10 };
  for (let i = 1; i < argv.length; i += 2) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case "--to":
        a.to = v;
        break;
      case "--bind":
        a.bind = v;
        break;
      case "--port":
        a.port = Number(v);
        break;
      case "--bytes":
        a.bytes = Number(v);
        break;
      case "--timeout":
        a.timeout = Number(v);
        break;
      default:
        fail(`unknown option ${argv[i]}`);
    }
  }
  return a;
}

/**
 * @param {string} msg
 * @returns {never}
 */
function fail(msg) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: msg })}\n`);
  process.exit(1);
}

/**
 * @param {Record<string, unknown>} result
 * @returns {never}
 */
function done(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(result.ok ? 0 : 1);
}

/**
 * @param {string} what
 * @param {number} seed
 * @param {Buffer} data
 * @param {number} want
 * @returns {Record<string, unknown>}
 */
function verdict(what, seed, data, want) {
  const bad = firstDifference(seed, data.subarray(0, want));
  const ok = data.length === want && bad < 0;
  return { ok, what, bytes: data.length, expected: want, firstBadByte: bad >= 0 ? bad : null };
}

/** @param {Args} a */
function tcpServer(a) {
  const server = createServer((sock) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let got = 0;
    sock.on("data", (d) => {
      chunks.push(d);
      got += d.length;
      if (got >= a.bytes) {
        const v = verdict("tcp server received", CLIENT_SEED, Buffer.concat(chunks), a.bytes);
        if (!v.ok) done(v);
        sock.end(pattern(SERVER_SEED, a.bytes), () => done(v));
      }
    });
    sock.on("error", (e) => fail(`tcp server: ${e.message}`));
  });
  server.listen({ port: a.port, host: a.bind ?? "::", ipv6Only: false }, () => process.stdout.write("ready\n"));
  server.on("error", (e) => fail(`tcp server: ${e.message}`));
}

/** @param {Args} a */
function tcpClient(a) {
  const t0 = Date.now();
  const sock = createConnection({ host: a.to, port: a.port });
  /** @type {Buffer[]} */
  const chunks = [];
  let got = 0;
  sock.on("connect", () => sock.write(pattern(CLIENT_SEED, a.bytes)));
  sock.on("data", (d) => {
    chunks.push(d);
    got += d.length;
    if (got >= a.bytes) {
      const v = verdict("tcp client received", SERVER_SEED, Buffer.concat(chunks), a.bytes);
      sock.destroy();
      done({ ...v, seconds: (Date.now() - t0) / 1000 });
    }
  });
  sock.on("end", () => done(verdict("tcp client received", SERVER_SEED, Buffer.concat(chunks), a.bytes)));
  sock.on("error", (e) => fail(`tcp client: ${e.message}`));
}

/** @param {Args} a */
function udpServer(a) {
  const family = a.bind && !isIPv6(a.bind) ? "udp4" : "udp6";
  const sock = createSocket({ type: family, ipv6Only: false });
  sock.on("message", (msg, from) => {
    const v = verdict("udp server received", CLIENT_SEED, msg, a.bytes);
    sock.send(pattern(SERVER_SEED, a.bytes), from.port, from.address, () => done(v));
  });
  sock.on("error", (e) => fail(`udp server: ${e.message}`));
  sock.bind({ port: a.port, address: a.bind ?? "::" }, () => process.stdout.write("ready\n"));
}

/** @param {Args} a */
function udpClient(a) {
  const to = a.to ?? fail("udp-client needs --to");
  const sock = createSocket(isIPv6(to) ? "udp6" : "udp4");
  const payload = pattern(CLIENT_SEED, a.bytes);
  let tries = 0;
  const send = () => {
    tries++;
    sock.send(payload, a.port, to);
  };
  sock.on("message", (msg) => done({ ...verdict("udp client received", SERVER_SEED, msg, a.bytes), tries }));
  sock.on("error", (e) => fail(`udp client: ${e.message}`));
  // Retransmit: the first datagram may race the server's readiness on a fresh link.
  const timer = setInterval(
    () => (tries < 3 ? send() : fail(`udp client: no answer from ${to}:${a.port} after ${tries} tries`)),
    1000,
  );
  timer.unref();
  send();
}

const args = parseArgs(process.argv.slice(2));
setTimeout(() => fail(`${args.mode}: timed out after ${args.timeout}s`), args.timeout * 1000).unref();
// Keep the process alive until done(): the unref'd timers alone would not.
setInterval(() => {}, 1 << 30);
switch (args.mode) {
  case "tcp-server":
    tcpServer(args);
    break;
  case "tcp-client":
    tcpClient(args);
    break;
  case "udp-server":
    udpServer(args);
    break;
  case "udp-client":
    udpClient(args);
    break;
  default:
    fail(`unknown mode '${args.mode}' (tcp-server, tcp-client, udp-server, udp-client)`);
}
