// One `npm start` per local state directory. Two workerd processes on the same
// `.wrangler/state` each run "the" Registry and Room Durable Objects over the same SQLite files —
// a second instance of an object that can only exist once — and their writes collide:
// `database is locked: SQLITE_BUSY` (seen from RegistryStore.place under join/leave churn with
// `npm start` running twice, e.g. a developer's and the npm-start browser test's, which runs in its
// own network namespace so the ports do not clash). The lock makes the second one stop at once.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Takes `<dir>/edgemeet-start.pid` for this process; throws if a live process holds it. A stale one is taken over. */
export function lockStateDir(dir, pid = process.pid) {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'edgemeet-start.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(pid));
      closeSync(fd);
      return {
        path,
        release() {
          try {
            if (readFileSync(path, 'utf8') === String(pid)) unlinkSync(path);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    const holder = Number(readFileSync(path, 'utf8'));
    if (holder && holder !== pid && alive(holder)) {
      throw new Error(`another npm start (pid ${holder}) uses the local state in ${dir}; stop it, or set EDGE_PERSIST_TO to another directory`);
    }
    unlinkSync(path);
  }
  throw new Error(`cannot lock ${dir}`);
}
