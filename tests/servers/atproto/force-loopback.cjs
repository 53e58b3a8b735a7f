// Preload (node --require ./force-loopback.cjs): every net.Server that would listen on all
// interfaces (no host, 0.0.0.0, ::) binds to 127.0.0.1 instead, so the dev-env servers
// (PLC, PDS, AppView, dataplane, bsync, ozone) are reachable from this machine only.
const net = require('net')
const LO = '127.0.0.1'
const ANY = new Set(['0.0.0.0', '::', '', undefined, null])
const orig = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  const a0 = args[0]
  if (typeof a0 === 'number' || (typeof a0 === 'string' && /^\d+$/.test(a0))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, LO)
    else if (ANY.has(args[1])) args[1] = LO
  } else if (a0 && typeof a0 === 'object' && !a0._handle && !a0.fd && a0.path === undefined) {
    if (ANY.has(a0.host)) args[0] = { ...a0, host: LO }
  } else if (a0 === undefined || a0 === null || typeof a0 === 'function') {
    args = [0, LO, ...args.filter((x) => typeof x === 'function')]
  }
  return orig.apply(this, args)
}
