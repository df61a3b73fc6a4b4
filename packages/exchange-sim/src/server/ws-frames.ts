/**
 * Packs text messages into one buffer of unmasked WebSocket text frames (RFC 6455 5.2), so a tick's
 * messages for a topic are encoded once and written to every subscriber's socket in a single write.
 * The simulator's frames are ASCII JSON, so a string's length is its byte length.
 */
export function packTextFrames(messages: readonly string[], count: number): Buffer {
  let total = 0;
  for (let i = 0; i < count; i += 1) {
    const len = (messages[i] as string).length;
    total += len + (len < 126 ? 2 : len < 65_536 ? 4 : 10);
  }
  const buf = Buffer.allocUnsafe(total);
  let o = 0;
  for (let i = 0; i < count; i += 1) {
    const msg = messages[i] as string;
    const len = msg.length;
    buf[o] = 0x81;
    if (len < 126) {
      buf[o + 1] = len;
      o += 2;
    } else if (len < 65_536) {
      buf[o + 1] = 126;
      buf.writeUInt16BE(len, o + 2);
      o += 4;
    } else {
      buf[o + 1] = 127;
      buf.writeUInt32BE(0, o + 2);
      buf.writeUInt32BE(len, o + 6);
      o += 10;
    }
    o += buf.write(msg, o, len, 'latin1');
  }
  return buf;
}
