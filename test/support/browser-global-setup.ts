import { ensureChromium } from './browser';

/** The browser project's setup: Chromium where it is missing (the tests start their own servers). */
export default function browserGlobalSetup(): void {
  ensureChromium();
}
