declare const crypto: { randomUUID(): string };
declare function queueMicrotask(callback: () => void): void;
