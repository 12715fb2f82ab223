/**
 * Names, descriptions and examples of the wire schemas, kept beside them so that the OpenAPI and AsyncAPI
 * documents are generated from the very schemas that validate the traffic.
 */
import { z } from 'zod';

/** What a schema registered in `apiDocs` may say about itself in the API documents. */
export type ApiDocMeta = {
  /** Its name under `components.schemas`; unnamed schemas are written inline. */
  id?: string;
  description?: string;
  /** Values the server accepts (for requests) or sends (for responses); the first is the one shown. */
  examples?: unknown[];
  /**
   * How the value looks on the wire when that differs from what zod can describe: a path or query
   * parameter that arrives as text but means an integer or a date-time.
   */
  wire?: Record<string, unknown>;
};

/** The registry the document generators read; a private one, so that nothing else's metadata leaks in. */
export const apiDocs = z.registry<ApiDocMeta>();
