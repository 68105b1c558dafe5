/**
 * A human label for "your devices" from a User-Agent string: "Chrome on Linux", "Safari on iOS",
 * "curl". Best effort and deliberately coarse (no versions): it helps a user recognise a session,
 * it is not a security signal (the header is client-controlled).
 */
export function deviceLabel(userAgent: string | null): string {
  if (userAgent === null || userAgent.trim() === '') return 'Unknown device';
  const ua = userAgent;
  const browser =
    /\bEdg(?:e|A|iOS)?\//.test(ua) ? 'Edge'
    : /\bOPR\/|\bOpera\b/.test(ua) ? 'Opera'
    : /\bFirefox\/|\bFxiOS\//.test(ua) ? 'Firefox'
    : /\bHeadlessChrome\//.test(ua) ? 'Headless Chrome'
    : /\bChrome\/|\bCriOS\//.test(ua) ? 'Chrome'
    : /\bVersion\/[\d.]+.*\bSafari\//.test(ua) ? 'Safari'
    : /^curl\//i.test(ua) ? 'curl'
    : /\bnode(?:-fetch)?\b|^undici\b/i.test(ua) ? 'Node.js'
    : /^python-requests\//i.test(ua) ? 'Python requests'
    : null;
  const os =
    /\biPhone\b/.test(ua) ? 'iOS'
    : /\biPad\b/.test(ua) ? 'iPadOS'
    : /\bAndroid\b/.test(ua) ? 'Android'
    : /\bWindows\b/.test(ua) ? 'Windows'
    : /\bCrOS\b/.test(ua) ? 'ChromeOS'
    : /\bMac OS X\b|\bMacintosh\b/.test(ua) ? 'macOS'
    : /\bLinux\b/.test(ua) ? 'Linux'
    : null;
  if (browser !== null && os !== null) return `${browser} on ${os}`;
  if (browser !== null) return browser;
  if (os !== null) return `Browser on ${os}`;
  return 'Unknown device';
}
