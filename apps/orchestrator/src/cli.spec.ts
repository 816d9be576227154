import { run } from './cli';
import { captureIo as capture } from './testing/capture-io';

describe('orchestrator CLI', () => {
  it('prints its version and exits 0', async () => {
    const io = capture();
    expect(await run(['--version'], io)).toBe(0);
    expect(io.outText.trim()).toBe('0.1.0');
  });

  it('describes itself in --help: lifecycle broadcasts and key management', async () => {
    const io = capture();
    expect(await run(['--help'], io)).toBe(0);
    expect(io.outText).toContain('Broadcasts lifecycle commands');
    expect(io.outText).toContain('manages the API keys');
    expect(io.outText).toMatch(/^\s+keys\s/m);
  });

  it('exits 2 with a message on an unknown command', async () => {
    const io = capture();
    expect(await run(['frobnicate'], io)).toBe(2);
    expect(io.errText).toMatch(/unknown command|too many arguments/);
  });
});
