// Start Bluesky's reference servers from @atproto/dev-env on loopback: PLC directory, PDS,
// AppView (bsky), bsync and ozone (TestNetwork always creates the last two).
//
// Run from the folder that holds node_modules (setup.sh copies this file there):
//   DB_POSTGRES_URL=postgresql://pg@127.0.0.1:PORT/postgres REDIS_HOST=127.0.0.1:PORT \
//   node --require ./force-loopback.cjs start-network.mjs
// Environment:
//   DB_POSTGRES_URL, REDIS_HOST   required (dev-env reads them)
//   DB_POSTGRES_SCHEMA            schema prefix; use a fresh one per run (default: devenv)
//   PLC_PORT PDS_PORT APPVIEW_PORT OZONE_PORT   fixed ports; unset or 0 = a free port
//   DEV_PDS_RATE_LIMITS=1         PDS sends RateLimit-* headers and enforces its limits
// When ready, prints one line: READY in N ms {"plc": URL, "pds": URL, "appview": URL, ...}
// SIGTERM or SIGINT closes the network and exits 0; a start failure exits 1.
import net from 'node:net'
import { TestNetwork } from '@atproto/dev-env'

const port = (name) => {
  const value = Number.parseInt(process.env[name] || '0', 10)
  return Number.isSafeInteger(value) && value > 0 ? value : undefined
}
// A free loopback port (the AppView's public URL must be known before it starts).
const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port: p } = srv.address()
      srv.close(() => resolve(p))
    })
  })
const t0 = Date.now()
let network
try {
  const appviewPort = port('APPVIEW_PORT') ?? (await freePort())
  network = await TestNetwork.create({
    dbPostgresSchema: process.env.DB_POSTGRES_SCHEMA || 'devenv',
    pds: {
      ...(port('PDS_PORT') ? { port: port('PDS_PORT') } : {}),
      hostname: 'localhost',
      enableDidDocWithSession: true,
      ...(process.env.DEV_PDS_RATE_LIMITS === '1' ? { rateLimitsEnabled: true } : {}),
    },
    bsky: { port: appviewPort, publicUrl: `http://localhost:${appviewPort}` },
    plc: port('PLC_PORT') ? { port: port('PLC_PORT') } : {},
    ozone: {
      ...(port('OZONE_PORT') ? { port: port('OZONE_PORT') } : {}),
      chatUrl: 'http://localhost:1',
      chatDid: 'did:example:chat',
      dbMaterializedViewRefreshIntervalMs: 30_000,
    },
  })
} catch (err) {
  console.error('START FAILED', err)
  process.exit(1)
}
console.log(
  `READY in ${Date.now() - t0} ms`,
  JSON.stringify({
    plc: network.plc.url,
    pds: network.pds.url,
    appview: network.bsky.url,
    appviewDid: network.bsky.serverDid,
    ozone: network.ozone.url,
  }),
)
let closing = false
const shutdown = async (signal) => {
  if (closing) return
  closing = true
  console.log(`closing (${signal})`)
  const force = setTimeout(() => process.exit(0), 10_000)
  force.unref()
  try {
    await network.close()
  } finally {
    process.exit(0)
  }
}
process.on('SIGTERM', () => shutdown('SIGTERM'))
process.on('SIGINT', () => shutdown('SIGINT'))
