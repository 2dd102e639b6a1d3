import { dialog360 } from './dialog360';
import { lancepilot } from './lancepilot';
import type { ProviderName, VideoProvider } from './types';

export const PROVIDERS: Record<ProviderName, VideoProvider> = { lancepilot, dialog360 };
