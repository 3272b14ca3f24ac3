import fs from 'node:fs';
const t0 = Date.now();
process.on('exit', () => { const u = process.cpuUsage(); fs.writeFileSync(`/tmp/serve-cpu-${process.pid}.json`, JSON.stringify({ userMs: u.user / 1000, systemMs: u.system / 1000, wallMs: Date.now() - t0 })); });
