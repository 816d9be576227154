import { randomBytes } from 'node:crypto';
import { newClusterId, type RandomBytes } from './kafka';

/** Hands out the given buffers in order, counting the draws. */
function scripted(...buffers: Buffer[]): RandomBytes & { draws: number } {
  const source = Object.assign(
    (size: number) => {
      const next = buffers[source.draws++];
      if (!next) throw new Error(`scripted source exhausted after ${buffers.length} draws`);
      expect(size).toBe(16);
      return next;
    },
    { draws: 0 },
  );
  return source;
}

// 0xF8-0xFB: the top six bits are 62, which base64url writes as '-'.
const leadingDash = () => Buffer.concat([Buffer.from([0xf8]), randomBytes(15)]);
const zero = () => Buffer.alloc(16);
const one = () => Buffer.from([...new Array<number>(15).fill(0), 1]);

describe('KRaft cluster id', () => {
  it('is 16 bytes in base64url, never starting with "-" (which StorageTool would read as an option)', () => {
    // Without the re-draw about 1 in 64 of these, ~300, would start with '-'.
    const ids = Array.from({ length: 20_000 }, () => newClusterId());
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('draws again when the id would start with "-"', () => {
    const dash = leadingDash();
    expect(dash.toString('base64url').startsWith('-')).toBe(true);
    const good = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const source = scripted(dash, good);
    expect(newClusterId(source)).toBe(good.toString('base64url'));
    expect(source.draws).toBe(2);
  });

  it("draws again on Kafka's reserved ids (ZERO_UUID, and ONE_UUID: the metadata topic's id)", () => {
    const good = Buffer.from('f0112233445566778899aabbccddeeff', 'hex');
    const source = scripted(zero(), one(), good);
    expect(newClusterId(source)).toBe(good.toString('base64url'));
    expect(source.draws).toBe(3);
  });

  it('gives up with a coded error on a source that is not random', () => {
    expect(() => newClusterId(() => leadingDash())).toThrow(expect.objectContaining({ code: 'INFRA_ERR_CONFIG' }));
    expect(() => newClusterId(() => Buffer.alloc(8, 1))).toThrow(expect.objectContaining({ code: 'INFRA_ERR_CONFIG' }));
  });
});
