// The CPU pool's worker when the CLI runs from source: TypeScript through tsx (the CLI bundle made by
// bin/capvector.mjs has its own compiled cpu-pool-worker.mjs beside it instead).
import { register } from 'tsx/esm/api';
register();
await import('./cpu-pool-worker.ts');
