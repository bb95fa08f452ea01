// The preview page: the outputs' index, and one document as it prints (its PDF, drawn by pdf.js),
// both kept up to date from the server's events. Everything loads from the preview server itself.
import * as pdfjsLib from '/pdfjs/build/pdf.min.mjs';

// pdf.js's viewer components find the library on globalThis.
globalThis.pdfjsLib = pdfjsLib;
pdfjsLib.GlobalWorkerOptions.workerSrc = '/pdfjs/build/pdf.worker.min.mjs';
const { EventBus, PDFViewer, PDFLinkService } = await import('/pdfjs/web/pdf_viewer.mjs');

// One worker for every document the page loads: starting one costs more than reading a briefing.
const worker = new pdfjsLib.PDFWorker();
const $ = (id) => document.getElementById(id);
const container = $('viewerContainer');
const eventBus = new EventBus();
const linkService = new PDFLinkService({ eventBus });
const viewer = new PDFViewer({ container, viewer: $('viewer'), eventBus, linkService, textLayerMode: 1, removePageBorders: false });
linkService.setViewer(viewer);

/** The last state the server sent. */
let state = { building: true, outputs: [], problems: [], warnings: [] };
/** The output on screen, and the version of it that is drawn or being loaded. */
let current;
let shownVersion;
let loading = 0;

const route = () => {
  const match = /^#\/view\/(.+)$/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : undefined;
};

// ─── events from the server ──────────────────────────────────────────────────────────────────
let source;
function connect() {
  source?.close();
  source = new EventSource(`/events${current ? `?path=${encodeURIComponent(current)}` : ''}`);
  source.addEventListener('state', (e) => {
    state = JSON.parse(e.data);
    render();
  });
  source.onerror = () => setStatus('disconnected: is citybrief preview still running?', 'bad');
}

// ─── what is shown ───────────────────────────────────────────────────────────────────────────
function render() {
  const { building, problems, error } = state;
  const failed = problems.length > 0 || error;
  setStatus(building ? 'building…' : failed ? `${problems.length || 1} problem${problems.length > 1 ? 's' : ''}` : 'up to date', building ? 'busy' : failed ? 'bad' : 'ok');
  showProblems();
  if (current) renderView();
  else renderIndex();
}

function setStatus(text, tone) {
  const status = $('status');
  status.textContent = text;
  status.dataset.tone = tone;
}

function showProblems() {
  const list = $('problem-list');
  list.replaceChildren(
    ...state.problems.map((p) => item(`${p.where}${p.field ? ` ${p.field}` : ''}`, p.message)),
    ...(state.error ? [item('', state.error)] : []),
  );
  $('problems').hidden = list.children.length === 0;
}

function item(where, message) {
  const li = document.createElement('li');
  if (where) {
    const code = document.createElement('code');
    code.textContent = where;
    li.append(code, ': ');
  }
  li.append(message);
  return li;
}

function renderIndex() {
  document.title = 'citybrief preview';
  $('title').textContent = '';
  $('pager').hidden = true;
  $('view').hidden = true;
  $('index').hidden = false;
  $('warnings').hidden = true;
  const kinds = [...new Set(state.outputs.map((o) => o.kind))];
  const rows = new Map();
  for (const o of state.outputs) {
    const key = o.city ?? '';
    if (!rows.has(key)) rows.set(key, new Map());
    rows.get(key).set(o.kind, o);
  }
  const head = [cell('th', 'city'), ...kinds.map((k) => cell('th', k))];
  $('kinds').replaceChildren(...head);
  $('outputs').replaceChildren(
    ...[...rows].map(([city, byKind]) => {
      const tr = document.createElement('tr');
      tr.append(cell('th', city || 'all cities'));
      for (const kind of kinds) {
        const o = byKind.get(kind);
        const td = document.createElement('td');
        if (o) {
          const a = document.createElement('a');
          a.href = `#/view/${encodeURIComponent(o.path)}`;
          a.textContent = o.path;
          const pages = document.createElement('span');
          pages.className = 'pages';
          pages.textContent = o.pages === null ? '' : `${o.pages} page${o.pages === 1 ? '' : 's'}`;
          td.append(a, ' ', pages);
          for (const w of o.warnings) td.append(note('warning', w));
          if (o.failed) td.append(note('failed', o.failed));
        }
        tr.append(td);
      }
      return tr;
    }),
  );
  $('empty').hidden = state.outputs.length > 0;
}

const cell = (tag, text) => Object.assign(document.createElement(tag), { textContent: text });
const note = (kind, text) => Object.assign(document.createElement('p'), { className: kind, textContent: text });

function renderView() {
  const output = state.outputs.find((o) => o.path === current);
  $('index').hidden = true;
  $('view').hidden = false;
  $('title').textContent = current;
  document.title = `${current} — citybrief preview`;
  const warnings = [...(output?.warnings ?? []), ...(output?.failed ? [output.failed] : []), ...state.warnings];
  $('warning-list').replaceChildren(...warnings.map((w) => item('', w)));
  $('warnings').hidden = warnings.length === 0;
  if (!output) {
    setStatus(state.building ? 'building…' : `${current} is not an output of this project`, state.building ? 'busy' : 'bad');
    return;
  }
  if (output.version !== shownVersion) void load(output);
}

/** Load a version of the document; the reader stays on the page, and at the place, they were. */
async function load(output) {
  shownVersion = output.version;
  const ticket = ++loading;
  const task = pdfjsLib.getDocument({
    url: `/out/${output.path.split('/').map(encodeURIComponent).join('/')}?v=${output.version}`,
    cMapUrl: '/pdfjs/cmaps/',
    cMapPacked: true,
    standardFontDataUrl: '/pdfjs/standard_fonts/',
    wasmUrl: '/pdfjs/wasm/',
    isEvalSupported: false,
    worker,
  });
  let doc;
  try {
    doc = await task.promise;
  } catch (error) {
    if (ticket === loading) setStatus(`cannot show ${output.path}: ${error.message}`, 'bad');
    shownVersion = undefined;
    return;
  }
  if (ticket !== loading) return void doc.destroy();
  const previous = viewer.pdfDocument;
  const at = previous ? { page: viewer.currentPageNumber, top: container.scrollTop, left: container.scrollLeft, scale: viewer.currentScaleValue } : undefined;
  const ready = new Promise((resolve) => eventBus.on('pagesinit', resolve, { once: true }));
  // Drawn once the page the reader is on has its picture and its text: the server then goes on
  // with the rest of the build, which it held back so this page had the machine to itself.
  const drawn = (e) => {
    if (ticket !== loading) return void eventBus.off('textlayerrendered', drawn);
    if (e.pageNumber !== viewer.currentPageNumber) return;
    eventBus.off('textlayerrendered', drawn);
    document.body.dataset.drawn = output.version;
    void fetch(`/drawn?path=${encodeURIComponent(output.path)}&v=${output.version}`).catch(() => {});
  };
  eventBus.on('textlayerrendered', drawn);
  viewer.setDocument(doc);
  linkService.setDocument(doc);
  await ready;
  viewer.currentScaleValue = at?.scale ?? 'page-width';
  if (at && doc.numPages >= at.page) {
    container.scrollTop = at.top;
    container.scrollLeft = at.left;
  } else if (at) viewer.currentPageNumber = doc.numPages;
  await previous?.destroy();
  document.body.dataset.version = output.version;
  showPage();
}

function showPage() {
  if (!viewer.pdfDocument) return;
  $('pager').hidden = false;
  $('page').textContent = `page ${viewer.currentPageNumber} of ${viewer.pagesCount}`;
}

eventBus.on('pagechanging', showPage);
$('prev').addEventListener('click', () => viewer.previousPage());
$('next').addEventListener('click', () => viewer.nextPage());
addEventListener('resize', () => {
  if (viewer.pdfDocument && typeof viewer.currentScaleValue === 'string') viewer.currentScaleValue = viewer.currentScaleValue;
});

function navigate() {
  const next = route();
  if (next === current && source) return;
  current = next;
  shownVersion = undefined;
  if (!current && viewer.pdfDocument) {
    const doc = viewer.pdfDocument;
    viewer.setDocument(null);
    linkService.setDocument(null);
    void doc.destroy();
  }
  connect();
  render();
}

addEventListener('hashchange', navigate);
navigate();
