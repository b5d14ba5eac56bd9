// The spectral pool's worker when the CLI runs from source: TypeScript through tsx (the CLI bundle made by
// bin/capvector.mjs has its own compiled spectral-pool-worker.mjs beside it instead).
import { register } from 'tsx/esm/api';
register();
await import('./spectral-pool-worker.ts');
