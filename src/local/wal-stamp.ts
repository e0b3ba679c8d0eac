/**
 * Whether anything was committed to a SQLite database in WAL mode, told by one read of 96 bytes.
 *
 * Every connection to the file, in every process, shares the WAL-index (the `-shm` file), whose header
 * is two copies of one 48-byte record (https://www.sqlite.org/walformat.html, "The WAL-Index Header"):
 * each commit rewrites both, second copy first, and its change counter moves. So two reads that find
 * the same bytes saw no commit in between, and copies that differ are a commit under way. A read is
 * one pread (~0.6 µs); PRAGMA data_version, SQL's way to ask, takes and drops a read lock each time (two
 * fcntl calls: ~8 µs of a GET in the server).
 * Invariants: a stamp equal to an earlier one means no commit of any connection in between. A
 * descriptor opened here is never closed: closing any descriptor of a file drops every POSIX lock the
 * process holds on it, SQLite's WAL locks included (https://www.sqlite.org/howtocorrupt.html, 2.2).
 * One is kept per `-shm` file (a file made anew after every connection closed gets a new one).
 */
import { fstatSync, openSync, readSync, statSync } from 'node:fs';

const HEADER = 48;

/** Descriptors of `-shm` files, by path, with the identity of the file each one reads. */
const opened = new Map<string, { fd: number; dev: number; ino: number }>();

export class WalStamp {
  private readonly buf = Buffer.alloc(2 * HEADER);
  private torn = 0;

  private constructor(private readonly fd: number) {}

  /**
   * For the database file at `file` (the path SQLite opened, symbolic links resolved), which must be
   * in WAL mode with a connection open; null when it has no WAL-index file.
   */
  static open(file: string): WalStamp | null {
    const path = `${file}-shm`;
    try {
      const now = statSync(path);
      let kept = opened.get(path);
      if (!kept || kept.dev !== now.dev || kept.ino !== now.ino) {
        const fd = openSync(path, 'r');
        const { dev, ino } = fstatSync(fd);
        opened.set(path, (kept = { fd, dev, ino })); // (an older descriptor stays open: see the top)
      }
      return new WalStamp(kept.fd);
    } catch {
      return null;
    }
  }

  read(): string {
    const { buf } = this;
    const got = readSync(this.fd, buf, 0, buf.length, 0);
    // (a commit under way, or a header not written yet: a stamp equal to no other)
    if (got < buf.length || buf.compare(buf, 0, HEADER, HEADER, 2 * HEADER) !== 0) return `~${++this.torn}`;
    return buf.toString('latin1', 0, HEADER);
  }
}
