import type { Api } from './api';
import type { WebConfig } from './config';
import { CONTENT_TYPE_BY_EXTENSION, extensionOf } from '../../functions/lib/api/media-types';
import { announce, formatBytes, h } from './dom';

/** Uploads this browser started, so a reload can still link them to their jobs. */
export interface PendingUpload {
  key: string;
  fileName: string;
  startedAt: string;
}

const PENDING_KEY = 'gorggle.uploads';
const PARALLEL_UPLOADS = 3;

export function pendingUploads(): PendingUpload[] {
  try {
    return JSON.parse(localStorage.getItem(PENDING_KEY) ?? '[]') as PendingUpload[];
  } catch {
    return [];
  }
}

export function forgetUploads(keys: readonly string[]): void {
  localStorage.setItem(PENDING_KEY, JSON.stringify(pendingUploads().filter((u) => !keys.includes(u.key))));
}

function remember(upload: PendingUpload): void {
  const recent = [upload, ...pendingUploads()].slice(0, 50);
  localStorage.setItem(PENDING_KEY, JSON.stringify(recent));
}

/** Why a file cannot be uploaded, checked before anything is sent. */
export function fileProblem(file: File, config: WebConfig): string | undefined {
  const extension = extensionOf(file.name);
  if (!config.allowedExtensions.includes(extension)) {
    return `Not a video or audio file Gorggle takes. Choose a .${config.allowedExtensions.join(', .')} file.`;
  }
  if (file.type && !/^(video|audio)\//.test(file.type) && file.type !== 'application/octet-stream') {
    return `The browser says this is ${file.type}, not a video or audio file.`;
  }
  if (file.size === 0) return 'The file is empty.';
  if (file.size > config.maxUploadBytes) {
    return `${formatBytes(file.size)} is more than the ${formatBytes(config.maxUploadBytes)} limit. Trim or compress it.`;
  }
  return undefined;
}

/** The drop zone, the file picker and one progress row per file. */
export function uploadPanel(api: Api, config: WebConfig, onUploaded: () => void): HTMLElement {
  const list = h('ul', { class: 'upload-list', 'aria-label': 'Uploads' });
  const input = h('input', {
    type: 'file',
    id: 'file-input',
    class: 'visually-hidden',
    multiple: true,
    accept: config.allowedExtensions.map((ext) => `.${ext}`).join(','),
  });
  const queue: Array<() => Promise<void>> = [];
  let running = 0;
  const pump = () => {
    while (running < PARALLEL_UPLOADS) {
      const next = queue.shift();
      if (!next) return;
      running += 1;
      void next().finally(() => {
        running -= 1;
        pump();
      });
    }
  };
  const accept = (files: ArrayLike<File>) => {
    for (const file of Array.from(files)) {
      const row = uploadRow(file);
      list.prepend(row.element);
      const problem = fileProblem(file, config);
      if (problem) {
        row.fail(problem);
        continue;
      }
      queue.push(() => upload(api, file, row).then(onUploaded));
    }
    pump();
  };
  input.addEventListener('change', () => {
    accept(input.files ?? []);
    input.value = '';
  });

  const zone = h(
    'div',
    { class: 'drop-zone' },
    h('p', { class: 'drop-title' }, 'Drop videos or audio files here'),
    h('p', { class: 'muted' }, 'or'),
    h('label', { for: 'file-input', class: 'button primary' }, 'Choose videos…'),
    input,
    h(
      'p',
      { class: 'muted small' },
      `${config.allowedExtensions.map((ext) => ext.toUpperCase()).join(', ')} · up to ${formatBytes(config.maxUploadBytes)} each · several at once`,
    ),
  );
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    accept(event.dataTransfer?.files ?? []);
  });

  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'upload-heading' },
    h('h2', { id: 'upload-heading' }, 'Upload'),
    zone,
    list,
  );
}

interface UploadRow {
  element: HTMLLIElement;
  progress(fraction: number): void;
  done(message: string): void;
  fail(message: string): void;
}

function uploadRow(file: File): UploadRow {
  const bar = h('progress', { max: 100, value: 0, 'aria-label': `Upload progress of ${file.name}` });
  const status = h('span', { class: 'upload-status' }, 'Waiting…');
  const element = h(
    'li',
    { class: 'upload-row' },
    h('span', { class: 'file-name' }, file.name),
    h('span', { class: 'muted small' }, formatBytes(file.size)),
    bar,
    status,
  );
  return {
    element,
    progress(fraction) {
      bar.value = Math.round(fraction * 100);
      status.textContent = `${Math.round(fraction * 100)}%`;
    },
    done(message) {
      bar.value = 100;
      status.textContent = message;
      element.classList.add('ok');
    },
    fail(message) {
      bar.remove();
      status.textContent = message;
      element.classList.add('error');
      announce(`${file.name}: ${message}`);
    },
  };
}

async function upload(api: Api, file: File, row: UploadRow): Promise<void> {
  try {
    row.progress(0);
    const contentType = file.type || CONTENT_TYPE_BY_EXTENSION[extensionOf(file.name)] || '';
    const target = await api.createUpload({ fileName: file.name, contentType, size: file.size });
    const form = new FormData();
    for (const [name, value] of Object.entries(target.fields)) form.append(name, value);
    form.append('file', file);
    await postWithProgress(target.url, form, (fraction) => row.progress(fraction));
    remember({ key: target.key, fileName: file.name, startedAt: new Date().toISOString() });
    row.done('Uploaded. The job appears below in a moment.');
    announce(`${file.name} uploaded.`);
  } catch (error) {
    row.fail(error instanceof Error ? error.message : String(error));
  }
}

/** fetch() reports no upload progress; XMLHttpRequest does. */
function postWithProgress(url: string, form: FormData, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', url);
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener('load', () => {
      if (request.status >= 200 && request.status < 300) resolve();
      else reject(new Error(`Storage refused the upload (HTTP ${request.status}). Try again.`));
    });
    request.addEventListener('error', () => reject(new Error('The upload was interrupted. Try again.')));
    request.send(form);
  });
}
