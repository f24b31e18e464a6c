/** `npm run images`: builds the Docker tier's images from local files (harness/dev/images.ts). */
import { buildImages } from '../dev/images.ts';
import { loadProjectEnv } from '../core/dotenv.ts';

loadProjectEnv();
try {
  await buildImages(process.env);
} catch (error) {
  process.stderr.write(`npm run images: ${(error as Error).message}\n`);
  process.exit(1);
}
