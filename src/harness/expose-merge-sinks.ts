/** The browser OutputSinks of the merge Worker, for e2e checks of their commit/abort behaviour. */
import { fsaSink } from '../io/browser-sinks';

export const mergeSinks = { fsaSink };
