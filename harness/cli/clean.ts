/** `npm run clean`: removes what runs and `docker compose` left behind (harness/dev/clean.ts). */
import { loadProjectEnv } from '../core/dotenv.ts';
import { clean } from '../dev/clean.ts';

loadProjectEnv();
try {
  await clean(process.env, (line) => process.stdout.write(`${line}\n`));
} catch (error) {
  process.stderr.write(`npm run clean: ${(error as Error).message}\n`);
  process.exit(1);
}
