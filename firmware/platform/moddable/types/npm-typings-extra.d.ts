/**
 * For `npm run typecheck` only (firmware/tsconfig.json): @moddable/typings has no "crypt" module,
 * which the SDK's own typings declare. Never passed to mcconfig, where it would clash with the
 * SDK's `Digest` ("Duplicate identifier").
 */
declare module "crypt" {
  export class Digest {
    constructor(type: "MD5" | "SHA1" | "SHA224" | "SHA256" | "SHA384" | "SHA512");
    write(data: string | ArrayBuffer): void;
    close(): ArrayBuffer;
    reset(): void;
    readonly blockSize: number;
    readonly outputSize: number;
  }
}
