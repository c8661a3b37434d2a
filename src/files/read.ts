// Reading a file the user named (the config, a policy for lint, the evidence, a TLS-RPT report): regular files
// only, and never more than a bound. A FIFO would block the reader until someone writes (a hang), a device may
// never end; both are refused unread, with the reason.
import { constants, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';

export type ReadResult =
  | { ok: true; bytes: Buffer; /** The file holds more than maxBytes; `bytes` has the first maxBytes + 1. */ tooLarge: boolean; size: number }
  | { ok: false; /** Node's error code (ENOENT, EACCES…), or NOTREGULAR. */ code: string; reason: string };

/** Why a file that is not a regular file is not read; undefined for a regular file. */
export function notRegular(info: Stats): string | undefined {
  if (info.isFile()) return undefined;
  if (info.isFIFO()) return 'a named pipe (FIFO), not a regular file; not read';
  if (info.isSocket()) return 'a socket, not a regular file; not read';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device, not a regular file; not read';
  if (info.isDirectory()) return 'a folder, not a file; not read';
  return 'not a regular file; not read';
}

/**
 * Reads at most `maxBytes + 1` bytes, so a huge (or growing) file never fills memory. The path is checked
 * through any link first, then opened with O_NONBLOCK, so a FIFO swapped in between cannot block either, and
 * the open file is checked again.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<ReadResult> {
  let handle;
  try {
    const before = notRegular(await stat(path));
    if (before) return { ok: false, code: 'NOTREGULAR', reason: before };
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const info = await handle.stat();
    const after = notRegular(info);
    if (after) return { ok: false, code: 'NOTREGULAR', reason: after };
    const buffer = Buffer.alloc(Math.min(info.size, maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { ok: true, bytes: buffer.subarray(0, length), tooLarge: length > maxBytes || info.size > maxBytes, size: Math.max(info.size, length) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
    return { ok: false, code, reason: code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a file; not read' : `cannot read it (${code})` };
  } finally {
    await handle?.close();
  }
}
