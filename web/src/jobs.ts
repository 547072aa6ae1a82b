import type { Api, JobView } from './api';
import { formatBytes, formatDate, h, render } from './dom';
import { forgetUploads, pendingUploads } from './upload';

const REFRESH_MS = 5000;

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge status-${status.toLowerCase()}` }, status);
}

/** The job list: newest first, refreshing itself, with older pages on demand. */
export function jobsPanel(api: Api): { element: HTMLElement; refresh: () => Promise<void>; stop: () => void } {
  const body = h('div', { class: 'jobs-body' }, h('p', { class: 'muted' }, 'Loading jobs…'));
  const error = h('p', { class: 'error-text', role: 'alert' });
  const more = h('button', { type: 'button', class: 'button', hidden: true }, 'Show older jobs');
  let firstPage: JobView[] = [];
  let olderPages: JobView[] = [];
  let cursor: string | undefined;
  let olderCursor: string | undefined;
  let stopped = false;

  const draw = () => {
    const jobs = [...firstPage, ...olderPages.filter((job) => !firstPage.some((f) => f.jobId === job.jobId))];
    const waiting = pendingUploads().filter((upload) => !jobs.some((job) => job.sourceKey === upload.key));
    forgetUploads(
      pendingUploads()
        .filter((upload) => jobs.some((job) => job.sourceKey === upload.key))
        .map((u) => u.key),
    );
    if (!jobs.length && !waiting.length) {
      render(body, h('p', { class: 'muted' }, 'No jobs yet. Upload a video to start one.'));
      return;
    }
    render(
      body,
      h(
        'ul',
        { class: 'job-list', 'aria-label': 'Jobs' },
        waiting.map((upload) =>
          h(
            'li',
            { class: 'job-row' },
            h('span', { class: 'file-name' }, upload.fileName),
            h('span', { class: 'badge status-queued' }, 'STARTING'),
            h('span', { class: 'muted small' }, formatDate(upload.startedAt)),
          ),
        ),
        jobs.map((job) =>
          h(
            'li',
            { class: 'job-row' },
            h('a', { class: 'file-name', href: `#/jobs/${encodeURIComponent(job.jobId)}` }, job.fileName),
            statusBadge(job.status),
            h('span', { class: 'muted small' }, formatDate(job.createdAt)),
            h(
              'span',
              { class: 'muted small' },
              job.summary?.words !== undefined ? `${job.summary.words} words` : formatBytes(job.sizeBytes),
            ),
          ),
        ),
      ),
    );
  };

  const refresh = async () => {
    try {
      const page = await api.listJobs();
      firstPage = page.jobs;
      cursor = page.nextCursor;
      if (!olderPages.length) olderCursor = cursor;
      more.hidden = !olderCursor;
      error.textContent = '';
      draw();
    } catch (problem) {
      error.textContent = problem instanceof Error ? problem.message : String(problem);
    }
  };

  more.addEventListener('click', async () => {
    if (!olderCursor) return;
    more.disabled = true;
    try {
      const page = await api.listJobs(olderCursor);
      olderPages = [...olderPages, ...page.jobs];
      olderCursor = page.nextCursor;
      more.hidden = !olderCursor;
      draw();
    } catch (problem) {
      error.textContent = problem instanceof Error ? problem.message : String(problem);
    } finally {
      more.disabled = false;
    }
  });

  const loop = async () => {
    while (!stopped) {
      await refresh();
      await new Promise((resolve) => setTimeout(resolve, REFRESH_MS));
    }
  };
  void loop();

  const element = h(
    'section',
    { class: 'card', 'aria-labelledby': 'jobs-heading' },
    h(
      'div',
      { class: 'card-head' },
      h('h2', { id: 'jobs-heading' }, 'Jobs'),
      h('span', { class: 'muted small' }, 'Refreshes every 5 s'),
    ),
    error,
    body,
    more,
  );
  return {
    element,
    refresh,
    stop: () => {
      stopped = true;
    },
  };
}
