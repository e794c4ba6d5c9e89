/** Splits the URL firmware/cloud/url.ts builds into the host/port/path the Moddable client takes. */
export function parseNormalisedUrl(url: string): { secure: boolean; host: string; port: number; path: string } {
  const match = /^(wss?):\/\/(\[[^\]]+\]|[^:/]+):(\d+)(\/.*)$/.exec(url);
  if (!match) throw new Error('relay URL is not normalised');
  return { secure: match[1] === 'wss', host: match[2]!.replace(/^\[|\]$/g, ''), port: Number(match[3]), path: match[4]! };
}

