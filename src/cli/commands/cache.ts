/**
 * `capvector cache clear` forgets every cached input hash (src/node/hash-cache-file.ts);
 * `capvector cache path` prints where the cache file is.
 */
import { fileHashCache, hashCacheDir, hashCachePath } from '../../node/hash-cache-file';
import { UsageError, type Command } from '../io';

export const run: Command = async (args, io) => {
  const [sub, ...rest] = args;
  if (rest.length) throw new UsageError(`unexpected argument '${rest[0]}'`);
  if (sub === 'path') {
    io.out(hashCachePath());
    return 0;
  }
  if (sub === 'clear') {
    await fileHashCache(hashCacheDir()).clear();
    io.out(`cleared the input-hash cache (${hashCachePath()})`);
    return 0;
  }
  throw new UsageError(sub ? `unknown cache command '${sub}'` : 'cache needs clear or path');
};
