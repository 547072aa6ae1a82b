import { Api } from './api';
import { accessToken, completeSignIn, saveLocalToken, signOut, startCognitoSignIn } from './auth';
import { loadConfig, type WebConfig } from './config';
import { h, render } from './dom';
import { jobPage } from './job-page';
import { jobsPanel } from './jobs';
import { uploadPanel } from './upload';

const main = () => document.getElementById('main') ?? document.body;
let stopView: () => void = () => undefined;

function signInView(config: WebConfig, message?: string): void {
  stopView();
  renderAccount(config);
  if (config.auth.kind === 'cognito') {
    render(
      main(),
      h(
        'section',
        { class: 'card narrow' },
        h('h1', {}, 'Sign in'),
        message ? h('p', { class: 'error-text', role: 'alert' }, message) : null,
        h('p', {}, 'Sign in to upload videos and read their captions.'),
        h(
          'button',
          { type: 'button', class: 'button primary', onclick: () => void startCognitoSignIn(config) },
          'Sign in',
        ),
      ),
    );
    return;
  }
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true });
  const form = h(
    'form',
    { class: 'card narrow' },
    h('h1', {}, 'Local access token'),
    message ? h('p', { class: 'error-text', role: 'alert' }, message) : null,
    h('p', {}, 'Paste the token that `make local` printed, or open the link it printed.'),
    h('label', { for: 'token' }, 'Access token'),
    input,
    h('button', { type: 'submit', class: 'button primary' }, 'Continue'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    saveLocalToken(input.value);
    route(config);
  });
  render(main(), form);
  input.focus();
}

function renderAccount(config: WebConfig): void {
  const nav = document.getElementById('account');
  if (!nav) return;
  render(
    nav,
    accessToken()
      ? h(
          'button',
          {
            type: 'button',
            class: 'button link',
            onclick: () => {
              signOut(config, { endSession: true });
              signInView(config);
            },
          },
          'Sign out',
        )
      : null,
  );
}

function route(config: WebConfig): void {
  stopView();
  if (!accessToken()) {
    signInView(config);
    return;
  }
  renderAccount(config);
  const api = new Api(config, () => {
    signOut();
    signInView(config, 'Your session has ended or the token is wrong. Sign in again.');
  });
  const jobMatch = /^#\/jobs\/([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (jobMatch?.[1]) {
    const page = jobPage(api, config, jobMatch[1]);
    render(main(), page.element);
    stopView = page.stop;
    document.title = 'Job · Gorggle';
  } else {
    const jobs = jobsPanel(api);
    render(
      main(),
      h(
        'div',
        { class: 'home' },
        uploadPanel(api, config, () => void jobs.refresh()),
        jobs.element,
      ),
    );
    stopView = jobs.stop;
    document.title = 'Gorggle: who said what, and when';
  }
  main().focus({ preventScroll: true });
}

async function start(): Promise<void> {
  try {
    const config = await loadConfig();
    window.addEventListener('hashchange', () => route(config));
    try {
      await completeSignIn(config);
    } catch (error) {
      signInView(config, error instanceof Error ? error.message : String(error));
      return;
    }
    route(config);
  } catch (error) {
    render(
      main(),
      h('p', { class: 'error-box', role: 'alert' }, error instanceof Error ? error.message : String(error)),
    );
  }
}

void start();
