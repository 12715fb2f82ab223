import express, { type Router } from 'express';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { renderSocketDocsPage, SOCKET_DOCS_CSS } from './socket-docs-page.ts';

const require = createRequire(import.meta.url);

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Phresh Live API</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', deepLinking: true });`;

/**
 * Interactive REST docs at /docs, rendered from /api/openapi.json with assets served locally, and the socket
 * API's docs at /docs/socket, rendered on the server from the AsyncAPI document.
 */
export function docsRouter(asyncapi: Record<string, unknown>): Router {
  const router = express.Router();
  const socketPage = renderSocketDocsPage(asyncapi);
  router.get('/docs/socket', (_req, res) => {
    res.type('html').send(socketPage);
  });
  router.get('/docs/socket.css', (_req, res) => {
    res.type('text/css').send(SOCKET_DOCS_CSS);
  });
  const assets = dirname(require.resolve('swagger-ui-dist/package.json'));
  router.get('/docs', (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT);
  });
  router.use('/docs/assets', express.static(assets, { index: false, maxAge: '1d' }));
  return router;
}
