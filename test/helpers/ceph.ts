/**
 * A throwaway single-node Ceph cluster for tests: one monitor, one OSD on `memstore` (RAM, nothing on
 * disk but logs), and radosgw (beast) serving S3 on an ephemeral port, all on 127.0.0.1, in a temporary
 * directory, run as the current user without systemd or cephadm (Debian's ceph-mon, ceph-osd, radosgw).
 *
 * - Authentication is off inside the cluster (auth_* = none), so there are no keyrings to make; radosgw
 *   insists on a "secure" monitor connection by default, which needs cephx, so it is told `crc`.
 * - One OSD, so pools have size 1 and few placement groups (the default 32 per pool times radosgw's
 *   pools would pass the per-OSD limit); there is no manager (nothing here needs one).
 * - The monitor proposes changes every 0.1 s instead of every second: radosgw creates its pools one by
 *   one on first start, each waiting out a proposal round, and this takes the boot from ~13 s to ~2 s.
 * - Readiness is polled (the monitor answers, the OSD is up, radosgw answers GET /), never slept on.
 * - Every daemon is started through `setpriv --pdeathsig SIGKILL`, so it dies with the test process even
 *   when that is killed outright; `stop()` and an exit hook kill them sooner. A failed start throws with
 *   the tails of the daemons' logs.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { removeDir, tempDir, waitForExit } from './server.ts';
import { freePort } from './sqld.ts';

const run = promisify(execFile);

export interface RunningCeph {
  /** radosgw's S3 endpoint, path-style: `http://127.0.0.1:<port>`. */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  dir: string;
  /** How long the cluster took to start, from nothing to an S3 user that can sign requests. */
  bootMs: number;
  /** Kills radosgw (the cluster stays up) and waits until its port refuses connections. */
  stopGateway(): Promise<void>;
  /** Starts radosgw again and waits until it answers. */
  startGateway(): Promise<void>;
  restartGateway(): Promise<void>;
  /** SIGSTOP / SIGCONT radosgw: connections are accepted by the kernel but never answered. */
  freezeGateway(): void;
  thawGateway(): void;
  /** The tails of the daemons' logs (for failure messages). */
  logs(): Promise<string>;
  /** Kills every daemon and removes the directory. */
  stop(): Promise<void>;
}

export interface CephOptions {
  /** The OSD's capacity (memstore keeps the data in RAM, only as much as is written). */
  memstoreBytes?: number;
}

const DAEMONS = ['mon.a', 'osd.0', 'client.rgw'] as const;
const BOOT_DEADLINE_MS = 90_000;

function config(dir: string, fsid: string, monPort: number, rgwPort: number, memstoreBytes: number): string {
  return `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${monPort}
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
keyring = /dev/null
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
log file = ${dir}/$name.log
mon data = ${dir}/mon
mon data avail crit = 0
mon data avail warn = 0
mon warn on pool no redundancy = false
mon max pg per osd = 1000
paxos propose interval = 0.1
osd data = ${dir}/osd
osd objectstore = memstore
memstore device bytes = ${memstoreBytes}
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0

[client.rgw]
ms mon client mode = crc
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
`;
}

/**
 * Polls `check` until it returns true (a check that throws counts as not yet); throws `what` with the
 * logs past the deadline, or at once when `daemon` has exited.
 */
async function until(
  what: string,
  deadline: number,
  check: () => Promise<boolean>,
  logs: () => Promise<string>,
  daemon?: ChildProcess,
): Promise<void> {
  while (!(await check().catch(() => false))) {
    const exited = daemon && (daemon.exitCode !== null || daemon.signalCode !== null);
    if (exited || Date.now() > deadline) {
      throw new Error(`ceph: ${what}${exited ? ' (it exited)' : ''}\n${await logs()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export async function startCeph(opts: CephOptions = {}): Promise<RunningCeph> {
  const started = Date.now();
  const deadline = started + BOOT_DEADLINE_MS;
  const dir = await tempDir('qoima-ceph-');
  const conf = join(dir, 'ceph.conf');
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${rgwPort}`;
  const procs = new Map<string, ChildProcess>();
  const output = new Map<string, string>();

  const logs = async () => {
    const parts: string[] = [];
    for (const name of DAEMONS) {
      const log = await readFile(join(dir, `${name}.log`), 'utf8').catch(() => '');
      const out = output.get(name) ?? '';
      parts.push(`--- ${name} (log tail) ---\n${log.split('\n').slice(-25).join('\n')}`);
      if (out) parts.push(`--- ${name} (output) ---\n${out.slice(-2000)}`);
    }
    return parts.join('\n');
  };
  const cli = async (command: string, args: string[]): Promise<string> => {
    try {
      return (await run(command, ['-c', conf, ...args], { timeout: 30_000 })).stdout;
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      const why = err.stderr || err.message;
      throw new Error(`ceph: ${command} ${args.join(' ')} failed: ${why}\n${await logs()}`);
    }
  };
  const daemon = (name: string, command: string, args: string[]): ChildProcess => {
    const argv = ['--pdeathsig', 'SIGKILL', '--', command, '-c', conf, '-f', ...args];
    const proc = spawn('setpriv', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    output.set(name, '');
    const keep = (d: Buffer) => output.set(name, (output.get(name)! + d.toString()).slice(-20_000));
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    proc.once('exit', () => live.delete(proc));
    live.add(proc);
    procs.set(name, proc);
    return proc;
  };
  const kill = async (name: string) => {
    const p = procs.get(name);
    if (!p) return;
    p.kill('SIGKILL');
    await waitForExit(p);
    procs.delete(name);
  };
  const stopAll = async () => {
    for (const name of [...procs.keys()].reverse()) await kill(name);
  };
  const gatewayAnswers = async () => {
    return (await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2000) })).status === 200;
  };
  const startGateway = async (by = Date.now() + 60_000) => {
    const rgw = daemon('client.rgw', 'radosgw', ['-n', 'client.rgw']);
    await until('radosgw did not answer', by, gatewayAnswers, logs, rgw);
  };

  try {
    const fsid = randomUUID();
    await writeFile(conf, config(dir, fsid, monPort, rgwPort, opts.memstoreBytes ?? 512 * 1024 * 1024));
    for (const sub of ['run', 'mon', 'osd']) await mkdir(join(dir, sub));
    const monmap = join(dir, 'monmap');
    await run('monmaptool', ['--create', '--fsid', fsid, '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, monmap]);
    await cli('ceph-mon', ['--mkfs', '-i', 'a', '--monmap', monmap]);
    daemon('mon.a', 'ceph-mon', ['-i', 'a']);
    // the first command waits for the monitor's quorum by itself (bounded by the connect timeout)
    const osdUuid = randomUUID();
    const id = (await cli('ceph', ['--connect-timeout', '30', 'osd', 'new', osdUuid])).trim();
    if (id !== '0') throw new Error(`ceph: expected osd.0, got ${id}`);
    await cli('ceph-osd', ['--mkfs', '-i', '0', '--osd-uuid', osdUuid]);
    const osd = daemon('osd.0', 'ceph-osd', ['-i', '0']);
    await until(
      'the OSD did not come up',
      deadline,
      async () => {
        const stat = JSON.parse(await cli('ceph', ['osd', 'stat', '-f', 'json'])) as { num_up_osds: number };
        return stat.num_up_osds === 1;
      },
      logs,
      osd,
    );
    // radosgw makes its pools and default zone on first start, which takes most of the boot time
    await startGateway(deadline);
    const accessKeyId = `QCEPH${randomBytes(8).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(24).toString('base64url');
    await cli('radosgw-admin', [
      'user',
      'create',
      '--uid',
      'qoima',
      '--display-name',
      'qoima',
      '--access-key',
      accessKeyId,
      '--secret',
      secretAccessKey,
    ]);
    return {
      endpoint,
      region: 'us-east-1',
      accessKeyId,
      secretAccessKey,
      dir,
      bootMs: Date.now() - started,
      stopGateway: async () => {
        await kill('client.rgw');
        // a killed process's port refuses at once; checked rather than assumed
        const refused = async () => !(await gatewayAnswers().catch(() => false));
        await until('radosgw still answers after being killed', Date.now() + 10_000, refused, logs);
      },
      startGateway: () => startGateway(),
      restartGateway: async () => {
        await kill('client.rgw');
        await startGateway();
      },
      // setpriv execs the daemon, so the child's pid is radosgw's own
      freezeGateway: () => void procs.get('client.rgw')?.kill('SIGSTOP'),
      thawGateway: () => void procs.get('client.rgw')?.kill('SIGCONT'),
      logs,
      stop: async () => {
        await stopAll();
        await removeDir(dir);
      },
    };
  } catch (e) {
    await stopAll();
    await removeDir(dir);
    throw e;
  }
}
