import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where the packaged Chromium is unpacked once per version; node_modules goes away with its package. */
const CACHE = join(ROOT, 'node_modules/.cache/packaged-chromium');
/** Debian's Chromium, used when installed: it starts faster than a packaged one we must unpack first. */
const SYSTEM_CHROMIUM = '/usr/bin/chromium';

const require = createRequire(import.meta.url);

function unpack(file: string): Buffer {
  return brotliDecompressSync(readFileSync(file));
}

function unpackTar(file: string, into: string): void {
  mkdirSync(into, { recursive: true });
  execFileSync('tar', ['-x', '-C', into], { input: unpack(file) });
}

/**
 * Unpacks the Chromium that `@sparticuz/chromium` ships inside its npm package (with the NSS libraries it
 * links against and a font), so that the browser tests need nothing but `npm install`. Each worker unpacks
 * into a folder of its own and renames it into place, so parallel test files never see half a browser.
 */
function packagedChromium(): { executablePath: string; env: Record<string, string> } {
  // The package exports only its entry point (build/index.js); its binaries sit in bin/ beside build/.
  const root = dirname(dirname(require.resolve('@sparticuz/chromium')));
  const bin = join(root, 'bin');
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const home = join(CACHE, version);
  if (!existsSync(join(home, 'ready'))) {
    const staging = `${home}.${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, 'chromium'), unpack(join(bin, 'chromium.br')), { mode: 0o755 });
    unpackTar(join(bin, 'al2023.tar.br'), join(staging, 'al2023'));
    unpackTar(join(bin, 'fonts.tar.br'), join(staging, 'fonts'));
    // The package's fontconfig points at Lambda's folders; ours points at the unpacked font and the system's.
    writeFileSync(
      join(staging, 'fonts', 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
        `  <dir>${join(home, 'fonts', 'fonts')}</dir>\n` +
        `  <dir>/usr/share/fonts</dir>\n  <cachedir>${join(home, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
    );
    writeFileSync(join(staging, 'ready'), version);
    try {
      renameSync(staging, home);
    } catch {
      // Another worker got there first with the same files.
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return {
    executablePath: join(home, 'chromium'),
    env: {
      // The system's NSS first when it has one; the packaged copy only fills in what is missing.
      LD_LIBRARY_PATH: [
        '/usr/lib/x86_64-linux-gnu',
        '/usr/lib/aarch64-linux-gnu',
        join(home, 'al2023', 'lib'),
      ]
        .filter((dir) => existsSync(dir))
        .join(':'),
      FONTCONFIG_PATH: join(home, 'fonts'),
    },
  };
}

/**
 * The Chromium the browser tests drive: `CHROMIUM_PATH` if set, else Debian's `/usr/bin/chromium` if
 * installed, else the one shipped in the `@sparticuz/chromium` npm package. It never skips: a browser that
 * cannot start fails the suite with the reason.
 */
export function chromiumExecutable(
  lookup: { configured?: string | undefined; system?: string | undefined } = {
    configured: process.env.CHROMIUM_PATH,
    system: process.env.SYSTEM_CHROMIUM ?? SYSTEM_CHROMIUM,
  },
): { executablePath: string; env?: Record<string, string> } {
  const { configured, system } = lookup;
  if (configured) {
    if (!existsSync(configured))
      throw new Error(`CHROMIUM_PATH points at ${configured}, which does not exist`);
    return { executablePath: configured };
  }
  if (system && existsSync(system)) return { executablePath: system };
  return packagedChromium();
}

/** Chromium, headless and quiet: no network of its own, no first-run UI, no sandbox (tests run as root). */
export async function launchChromium(
  executable: ReturnType<typeof chromiumExecutable> = chromiumExecutable(),
): Promise<Browser> {
  const { executablePath, env } = executable;
  return chromium.launch({
    executablePath,
    ...(env ? { env: { ...process.env, ...env } as Record<string, string> } : {}),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
