import { dialog360 } from './dialog360';
import { lancepilot } from './lancepilot';
import { whatsappCloud } from './whatsappCloud';
import type { VideoProvider } from './types';

/** Every provider the node offers, in the order of its Provider picker; the first is the default. */
export const PROVIDERS: readonly VideoProvider[] = [lancepilot, dialog360, whatsappCloud];
