/** Global set-up of `npm run test:moddable`: builds (or reuses) the lin image once for every worker. */
import { buildModdableImage } from '../../sim/moddable/build';

export default function setup(): void {
  const started = Date.now();
  const image = buildModdableImage();
  process.stdout.write(`moddable: lin image ${image.library} ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
