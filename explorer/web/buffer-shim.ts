/** The shared SDK and circomlibjs use Node's Buffer; the page provides the `buffer` package's. */
import { Buffer } from "buffer";

(globalThis as { Buffer?: unknown }).Buffer ??= Buffer;
