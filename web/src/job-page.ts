import type { Stage } from '../../functions/lib/contracts/pipeline';
import { ApiRequestError, type Api, type ExecutionSummary, type JobView } from './api';
import type { WebConfig } from './config';
import { ExecutionRefresh } from './execution-refresh';
import { formatDate, formatDuration, h, render } from './dom';
import { statusBadge } from './jobs';
import { resultViewer } from './viewer';

const STAGE_LABELS: Record<Stage, string> = {
  extract: 'Extract audio and video',
  transcribe: 'Transcribe speech',
  faces: 'Detect faces',
  lipreading: 'Read lips',
  fuse: 'Fuse captions',
};

const FINISHED = ['COMPLETED', 'DEGRADED', 'FAILED'];
const REFRESH_MS = 3000;

export function consoleUrl(config: WebConfig, executionArn: string): string {
  const region = config.region;
  return `https://${region}.console.aws.amazon.com/states/home?region=${encodeURIComponent(region)}#/v2/executions/details/${encodeURIComponent(executionArn)}`;
}

/** The job page: a live stage timeline, then the result viewer once the job is done. */
export function jobPage(api: Api, config: WebConfig, jobId: string): { element: HTMLElement; stop: () => void } {
  const header = h('div', { class: 'job-header' }, h('p', { class: 'muted' }, 'Loading job…'));
  const timeline = h('section', { class: 'card', 'aria-labelledby': 'timeline-heading' });
  const result = h('div', { class: 'result-area' });
  const error = h('p', { class: 'error-text', role: 'alert' });
  let stopped = false;
  let resultShown = false;
  const executionRefresh = new ExecutionRefresh();
  let execution: ExecutionSummary | undefined;

  /** The execution summary, re-read only when ExecutionRefresh says so; the last one otherwise. */
  const readExecution = async (job: JobView): Promise<ExecutionSummary | undefined> => {
    if (!executionRefresh.due(job)) return execution;
    try {
      execution = await api.getExecution(jobId);
      executionRefresh.read(job);
    } catch (problem) {
      if (problem instanceof ApiRequestError && problem.status === 429) executionRefresh.throttled();
    }
    return execution;
  };

  const refresh = async (): Promise<boolean> => {
    try {
      const job = await api.getJob(jobId);
      const execution = await readExecution(job);
      drawHeader(header, job, config);
      drawTimeline(timeline, job, execution);
      error.textContent = '';
      if (!resultShown && (job.status === 'COMPLETED' || job.status === 'DEGRADED')) {
        resultShown = true;
        render(result, h('p', { class: 'muted' }, 'Loading the result…'));
        const links = await api.getResult(jobId);
        render(result, await resultViewer(links, api, jobId));
      }
      return FINISHED.includes(job.status);
    } catch (problem) {
      error.textContent =
        problem instanceof ApiRequestError && problem.code === 'JOB_NOT_FOUND'
          ? problem.message
          : `Could not refresh the job: ${problem instanceof Error ? problem.message : String(problem)}`;
      return problem instanceof ApiRequestError && problem.status === 404;
    }
  };

  void (async () => {
    while (!stopped && !(await refresh())) {
      await new Promise((resolve) => setTimeout(resolve, REFRESH_MS));
    }
  })();

  const element = h(
    'div',
    { class: 'job-page' },
    h('p', {}, h('a', { href: '#/', class: 'back' }, '← All jobs')),
    header,
    error,
    timeline,
    result,
  );
  return {
    element,
    stop: () => {
      stopped = true;
    },
  };
}

const lastError = (errors: ExecutionSummary['states'][number]['errors']) => {
  const last = errors.at(-1);
  return last ? `${last.error}: ${last.cause ?? ''}` : '';
};

function drawHeader(header: HTMLElement, job: JobView, config: WebConfig): void {
  render(
    header,
    h('h1', { class: 'job-title' }, h('span', { class: 'file-name' }, job.fileName), ' ', statusBadge(job.status)),
    h(
      'p',
      { class: 'muted small' },
      `Job ${job.jobId} · uploaded ${formatDate(job.createdAt)} · updated ${formatDate(job.updatedAt)}`,
    ),
    job.error
      ? h('p', { class: 'error-box', role: 'alert' }, h('strong', {}, `${job.error.name}: `), job.error.message)
      : null,
    job.summary?.degradedReasons?.length
      ? h(
          'div',
          { class: 'warning-box' },
          h('strong', {}, 'Degraded: '),
          'some inputs were missing, the captions use the rest.',
          h(
            'ul',
            {},
            job.summary.degradedReasons.map((reason) => h('li', {}, reason)),
          ),
        )
      : null,
    job.executionArn && config.consoleLinks
      ? h(
          'p',
          {},
          h(
            'a',
            { href: consoleUrl(config, job.executionArn), target: '_blank', rel: 'noopener noreferrer' },
            'Open the execution in the AWS console ↗',
          ),
        )
      : null,
  );
}

function drawTimeline(section: HTMLElement, job: JobView, execution: ExecutionSummary | undefined): void {
  const statesOf = (stage: Stage) => execution?.states.filter((state) => state.stage === stage) ?? [];
  render(
    section,
    h('h2', { id: 'timeline-heading' }, 'Stages'),
    h(
      'ol',
      { class: 'timeline' },
      job.stages.map((stage) => {
        const states = statesOf(stage.stage);
        const retries = (stage.retries ?? 0) + states.reduce((sum, state) => sum + state.retries, 0);
        const checks = states.filter((state) => /^Check/.test(state.name)).reduce((sum, s) => sum + s.entered, 0);
        const lastStateError = states.flatMap((state) => state.errors).at(-1);
        const errorText = stage.error
          ? `${stage.error.name}: ${stage.error.message}`
          : stage.status === 'failed' && lastStateError
            ? `${lastStateError.error}: ${lastStateError.cause ?? ''}`
            : undefined;
        const reason = typeof stage.facts?.reason === 'string' ? stage.facts.reason : undefined;
        return h(
          'li',
          { class: `stage stage-${stage.status}`, 'data-stage': stage.stage },
          h('span', { class: 'stage-dot', 'aria-hidden': 'true' }),
          h(
            'div',
            { class: 'stage-body' },
            h(
              'div',
              { class: 'stage-line' },
              h('strong', {}, STAGE_LABELS[stage.stage]),
              h('span', { class: `badge stage-badge-${stage.status}` }, stage.status),
            ),
            h(
              'p',
              { class: 'muted small' },
              [
                stage.durationMs !== undefined
                  ? `took ${formatDuration(stage.durationMs)}`
                  : stage.startedAt
                    ? `started ${formatDate(stage.startedAt)}`
                    : '',
                retries ? `${retries} ${retries === 1 ? 'retry' : 'retries'}` : '',
                checks > 1 ? `${checks} status checks` : '',
              ]
                .filter(Boolean)
                .join(' · '),
            ),
            reason ? h('p', { class: 'small' }, reason) : null,
            errorText ? h('p', { class: 'error-text small' }, errorText) : null,
          ),
        );
      }),
    ),
    execution
      ? h(
          'details',
          { class: 'execution' },
          h(
            'summary',
            {},
            `Step Functions execution: ${execution.status}${execution.truncated ? ' (history truncated)' : ''}`,
          ),
          h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              {},
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['State', 'Status', 'Entered', 'Retries', 'Time', 'Last error'].map((title) =>
                    h('th', { scope: 'col' }, title),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                execution.states.map((state) =>
                  h(
                    'tr',
                    {},
                    h('td', {}, state.name),
                    h('td', {}, state.status),
                    h('td', {}, String(state.entered)),
                    h('td', {}, String(state.retries)),
                    h('td', {}, formatDuration(state.durationMs)),
                    h('td', { class: 'small' }, lastError(state.errors)),
                  ),
                ),
              ),
            ),
          ),
        )
      : null,
  );
}
