type Json = Record<string, unknown>;

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** The little Markdown the documents use: `code`, **bold**, [links](url), paragraphs and "- " lists. */
function inline(text: string): string {
  return esc(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/\[([^\]]+)\]\((\/[^)\s]*)\)/g, '<a href="$2">$1</a>');
}

function markdown(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((block) => {
      const lines = block.split('\n');
      const items: string[] = [];
      const intro: string[] = [];
      for (const line of lines) {
        if (line.startsWith('- ')) items.push(line.slice(2));
        else if (items.length > 0) items[items.length - 1] += ' ' + line.trim();
        else intro.push(line);
      }
      const paragraph = intro.length > 0 ? `<p>${inline(intro.join(' '))}</p>` : '';
      const list = items.length > 0 ? `<ul>${items.map((i) => `<li>${inline(i)}</li>`).join('')}</ul>` : '';
      return paragraph + list;
    })
    .join('\n');
}

function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/** A one-line reading of a schema's type: `integer ≥ 1`, `CleaningPublic or null`, `array of OfferEvent`. */
function typeOf(schema: unknown): string {
  if (!schema || typeof schema !== 'object') return 'any';
  const s = schema as Json;
  if (typeof s.$ref === 'string') {
    const name = refName(s.$ref);
    return `<a href="#schema-${esc(name)}">${esc(name)}</a>`;
  }
  if ('const' in s) return `<code>${esc(JSON.stringify(s.const))}</code>`;
  if (Array.isArray(s.enum))
    return `one of ${s.enum.map((v) => `<code>${esc(JSON.stringify(v))}</code>`).join(', ')}`;
  const alternatives = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(alternatives)) return alternatives.map(typeOf).join(' or ');
  const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : [];
  const parts = types.map((t) => {
    if (t === 'array') return `array of ${typeOf(s.items)}`;
    if (
      t === 'object' &&
      s.additionalProperties &&
      typeof s.additionalProperties === 'object' &&
      !s.properties
    )
      return `map of ${typeOf(s.additionalProperties)}`;
    return esc(t);
  });
  const limits: string[] = [];
  if (s.format) limits.push(esc(String(s.format)));
  if (s.minimum !== undefined) limits.push(`≥ ${esc(String(s.minimum))}`);
  if (s.exclusiveMinimum !== undefined) limits.push(`> ${esc(String(s.exclusiveMinimum))}`);
  if (s.maximum !== undefined) limits.push(`≤ ${esc(String(s.maximum))}`);
  if (s.minLength !== undefined) limits.push(`${esc(String(s.minLength))}+ chars`);
  if (s.maxLength !== undefined) limits.push(`≤ ${esc(String(s.maxLength))} chars`);
  const base = parts.join(' or ') || 'any';
  return limits.length > 0 ? `${base} <span class="limits">(${limits.join(', ')})</span>` : base;
}

/** An object schema as a table of its fields (a named one followed, once, to its fields); else its type. */
function schemaBlock(schema: unknown, named: Record<string, Json> = {}): string {
  const s = (schema ?? {}) as Json;
  const target = typeof s.$ref === 'string' ? named[refName(s.$ref)] : undefined;
  if (target) return `<p class="type">${typeOf(schema)}</p>${schemaBlock(target)}`;
  const properties = s.properties as Record<string, Json> | undefined;
  if (!properties) return `<p class="type">${typeOf(schema)}</p>`;
  const required = new Set((s.required as string[] | undefined) ?? []);
  const rows = Object.entries(properties)
    .map(
      ([name, field]) =>
        `<tr><td><code>${esc(name)}</code>${required.has(name) ? '' : ' <span class="optional">optional</span>'}</td><td>${typeOf(field)}</td><td>${typeof field.description === 'string' ? inline(field.description) : ''}</td></tr>`,
    )
    .join('');
  const description = typeof s.description === 'string' ? `<p>${inline(s.description)}</p>` : '';
  return `${description}<table><thead><tr><th>field</th><th>type</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
}

function example(value: unknown): string {
  return `<pre><code>${esc(JSON.stringify(value, null, 2))}</code></pre>`;
}

function resolveMessage(doc: Json, ref: string): Json {
  const key = refName(ref);
  const messages = ((doc.components as Json).messages ?? {}) as Record<string, Json>;
  return messages[key] ?? {};
}

/**
 * Renders the AsyncAPI document as one readable page, on the server and without scripts, so that it needs
 * nothing the Content-Security-Policy forbids.
 */
export function renderSocketDocsPage(doc: Json): string {
  const info = doc.info as { title: string; version: string; description: string };
  const operations = Object.entries(doc.operations as Record<string, Json>);
  const commands = operations.filter(([, op]) => op.action === 'receive');
  const pushes = operations.filter(([, op]) => op.action === 'send');
  const named = ((doc.components as Json).schemas ?? {}) as Record<string, Json>;
  const schemas = Object.entries(named);
  const messageOf = (op: Json) => resolveMessage(doc, ((op.messages as Json[])[0]?.$ref as string) ?? '');
  const replyOf = (op: Json) =>
    resolveMessage(
      doc,
      (((op.reply as Json | undefined)?.messages as Json[] | undefined)?.[0]?.$ref as string) ?? '',
    );

  const commandSections = commands
    .map(([key, op]) => {
      const message = messageOf(op);
      const reply = replyOf(op);
      const success = ((reply.payload as Json).oneOf as Json[])[0] as Json;
      const data = (success.properties as Json).data;
      const refusals = (
        reply.examples as { name: string; payload: { error: { status: number; detail: unknown } } }[]
      )
        .map(
          (e) =>
            `<tr><td><code>${esc(e.name)}</code></td><td>${e.payload.error.status}</td><td>${typeof e.payload.error.detail === 'string' ? esc(e.payload.error.detail) : 'a list of problems, as REST’s 422'}</td></tr>`,
        )
        .join('');
      const examples = (message.examples as { payload: unknown }[] | undefined) ?? [];
      return `<section id="${esc(key)}">
<h3><code>${esc(String(op.title))}</code> <span class="kind command">command</span></h3>
<p>${inline(String(op.summary))}</p>
${op.description ? `<p>${inline(String(op.description))}</p>` : ''}
<h4>Payload</h4>${schemaBlock(message.payload, named)}
${examples.map((e) => example(e.payload)).join('')}
<h4>Ack <code>data</code></h4>${schemaBlock(data, named)}
<h4>Refusals</h4><table><thead><tr><th>code</th><th>status</th><th>detail</th></tr></thead><tbody>${refusals}</tbody></table>
</section>`;
    })
    .join('\n');

  const pushSections = pushes
    .map(([key, op]) => {
      const message = messageOf(op);
      return `<section id="${esc(key)}">
<h3><code>${esc(String(op.title))}</code> <span class="kind push">push</span></h3>
<p>${inline(String(op.summary))}</p>
${op.description ? `<p>${inline(String(op.description))}</p>` : ''}
<h4>Payload</h4>${schemaBlock(message.payload, named)}
</section>`;
    })
    .join('\n');

  const schemaSections = schemas
    .map(
      ([name, schema]) =>
        `<section id="schema-${esc(name)}"><h3>${esc(name)}</h3>${schemaBlock(schema)}</section>`,
    )
    .join('\n');

  const toc = (items: [string, Json][]) =>
    items
      .map(([key, op]) => `<li><a href="#${esc(key)}"><code>${esc(String(op.title))}</code></a></li>`)
      .join('');

  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${esc(info.title)}</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/docs/socket.css">
</head>
<body>
<nav>
  <p class="brand">${esc(info.title)} <span class="version">${esc(info.version)}</span></p>
  <p><a href="/api/asyncapi.json">AsyncAPI 3.0 document</a> · <a href="/docs">REST API</a></p>
  <h2>Commands</h2><ul>${toc(commands)}</ul>
  <h2>Pushes</h2><ul>${toc(pushes)}</ul>
  <h2><a href="#schemas">Schemas</a></h2>
</nav>
<main>
<header><h1>${esc(info.title)} <span class="version">${esc(info.version)}</span></h1>${markdown(info.description)}</header>
<h2 id="commands">Commands</h2>
${commandSections}
<h2 id="pushes">Pushes</h2>
${pushSections}
<h2 id="schemas">Schemas</h2>
${schemaSections}
</main>
</body>
</html>`;
}

/** The page's style sheet, served as a file so that the page needs no inline style. */
export const SOCKET_DOCS_CSS = `
:root { color-scheme: light; --ink: #1f2933; --muted: #52606d; --line: #e4e7eb; --accent: #0b7285; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); display: flex; }
nav { position: sticky; top: 0; height: 100vh; overflow-y: auto; width: 250px; flex: none; padding: 20px; background: #f5f7fa; border-right: 1px solid var(--line); font-size: 14px; }
nav ul { list-style: none; padding: 0; margin: 0 0 12px; }
nav li { margin: 3px 0; }
nav h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 18px 0 6px; }
.brand { font-weight: 700; font-size: 16px; margin-top: 0; }
main { padding: 24px 40px 80px; max-width: 980px; min-width: 0; }
h1 { font-size: 28px; margin: 0 0 12px; }
main > h2 { font-size: 22px; margin: 40px 0 8px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
section { border: 1px solid var(--line); border-radius: 8px; padding: 4px 18px 12px; margin: 14px 0; }
h3 { font-size: 17px; margin: 12px 0 4px; }
h4 { font-size: 13px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); margin: 14px 0 4px; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; background: #f0f4f8; padding: 1px 4px; border-radius: 4px; }
pre { background: #f0f4f8; padding: 10px 12px; border-radius: 6px; overflow-x: auto; }
pre code { padding: 0; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
.version { font-size: 12px; font-weight: 500; color: var(--muted); background: #e4e7eb; padding: 1px 6px; border-radius: 10px; vertical-align: middle; }
.kind { font-size: 11px; font-weight: 600; text-transform: uppercase; padding: 2px 7px; border-radius: 10px; vertical-align: middle; }
.command { background: #d3f9d8; color: #2b8a3e; }
.push { background: #d0ebff; color: #1864ab; }
.optional, .limits { color: var(--muted); font-size: 12px; }
`;
