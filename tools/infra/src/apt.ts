import os from 'node:os';
import { InfraError } from './errors';
import { type Log, run, which } from './proc';

/**
 * Installs Debian packages: the one write outside the repo that `tools/infra` makes. If the package starts a system
 * service (hosts with an init system do), it is left alone: our instances use their own data dirs and ports.
 */
export async function aptInstall(packages: readonly string[], log: Log): Promise<void> {
  const apt = await which('apt-get');
  if (!apt) {
    throw new InfraError(
      'INFRA_ERR_INSTALL',
      `apt-get not found: install ${packages.join(' ')} with your package manager`,
    );
  }
  const asRoot = os.userInfo().uid === 0;
  const sudo = asRoot ? undefined : await which('sudo');
  if (!asRoot && !sudo) {
    throw new InfraError(
      'INFRA_ERR_INSTALL',
      `installing ${packages.join(' ')} needs root: run "sudo apt-get install -y ${packages.join(' ')}"`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const exec = (args: string[]) =>
    sudo ? run(sudo, ['-n', '-E', apt, ...args], { env, echo: log }) : run(apt, args, { env, echo: log });
  const install = () => exec(['install', '-y', '-q', '--no-install-recommends', ...packages]);
  let res = await install();
  if (res.code !== 0) {
    // A fresh machine often has empty or stale package lists.
    log('apt-get install failed; running apt-get update and retrying');
    await exec(['update', '-q']);
    res = await install();
  }
  if (res.code !== 0) {
    throw new InfraError(
      'INFRA_ERR_INSTALL',
      `apt-get install ${packages.join(' ')} failed (exit ${res.code}):\n${res.stderr.slice(-2000)}`,
    );
  }
}
