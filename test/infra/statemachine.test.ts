import {
  FUNCTION_TIMEOUT_ERROR_NAMES,
  KNOWN_ERROR_NAMES,
  TERMINAL_ERROR_NAMES,
  THROTTLED_ERROR_NAMES,
  TRANSIENT_ERROR_NAMES,
} from '../../functions/lib/errors';
import { MODALITIES } from '../../functions/lib/contracts/pipeline';
import {
  SETTING_VARIABLES,
  functionArnVariable,
  readStateMachineTemplate,
  renderTemplate,
  stateMachineFunctions,
  taskTimeoutVariable,
  templateVariables,
} from '../../scripts/render-statemachine';
import {
  allStates,
  aslSchemaProblems,
  branchOrderProblems,
  errorNameProblems,
  pollingLoopProblems,
  taskResilienceProblems,
  taskResourceProblems,
  worstCaseHistoryEvents,
  type Definition,
  type State,
} from './support/asl-checks';
import { renderSampleDefinition, sampleFunctionArn } from './support/sample-definition';
import { deployedFunctions } from './support/terraform-checks';
import { loadTerraformModule } from './support/terraform-module';

const errorNames = { known: KNOWN_ERROR_NAMES, terminal: TERMINAL_ERROR_NAMES };
const resiliencePolicy = {
  throttled: THROTTLED_ERROR_NAMES,
  transient: TRANSIENT_ERROR_NAMES,
  timeouts: FUNCTION_TIMEOUT_ERROR_NAMES,
  maxTimeoutAttempts: 2,
  minThrottledIntervalSeconds: 30,
  retryOnly: ['RecordFailure'],
};

/** A state inside the definition, by path of names, for breaking copies on purpose. */
function stateAt(definition: Definition, ...names: Array<string | number>): State {
  let node: unknown = definition;
  for (const name of names) {
    node =
      typeof name === 'number' ? (node as { Branches: unknown[] }).Branches[name] : (node as Definition).States![name];
  }
  return node as State;
}

describe('the state machine template', () => {
  const template = readStateMachineTemplate();

  it('uses only per-function variables and the settings the renderer knows', () => {
    // Prepare
    const functions = stateMachineFunctions(template);
    const expected = [
      ...functions.flatMap((name) => [functionArnVariable(name), taskTimeoutVariable(name)]),
      ...Object.keys(SETTING_VARIABLES),
    ].sort();

    // Act
    const variables = templateVariables(template);

    // Assess
    expect(variables).toEqual(expected);
    expect(functions).toEqual(
      expect.arrayContaining(['extract', 'transcribe', 'face-detect', 'invoke-lipreading', 'fuse', 'record-failure']),
    );
  });

  it('renders like templatefile: a missing variable is an error and $${ stays literal', () => {
    // Prepare
    const text = '{"a": "${x}", "b": "$${not_a_variable}"}';

    // Act
    const rendered = renderTemplate(text, { x: 7 });

    // Assess
    expect(JSON.parse(rendered)).toEqual({ a: '7', b: '${not_a_variable}' });
    expect(() => renderTemplate(text, {})).toThrow(/needs the variable "x"/);
  });
});

describe('the rendered state machine', () => {
  const definition = renderSampleDefinition();
  let functionByArn: Map<string, string>;

  beforeAll(async () => {
    const module = await loadTerraformModule();
    functionByArn = new Map(deployedFunctions(module).map((name) => [sampleFunctionArn(name), name]));
  });

  describe('is valid ASL', () => {
    it('passes asl-validator', () => {
      expect(aslSchemaProblems(definition)).toEqual([]);
    });

    it('fails asl-validator when a transition goes nowhere', () => {
      // Prepare
      const broken = structuredClone(definition);
      stateAt(broken, 'ExtractMedia').Next = 'NoSuchState';

      // Act
      const problems = aslSchemaProblems(broken);

      // Assess
      expect(problems.join('\n')).toMatch(/NoSuchState/);
    });
  });

  describe('invokes only deployed functions', () => {
    it('maps every Task to a function in Terraform', () => {
      expect(taskResourceProblems(definition, functionByArn)).toEqual([]);
    });

    it('reports a Task whose function Terraform does not deploy', () => {
      // Prepare
      const broken = structuredClone(definition);
      stateAt(broken, 'Analyse', 2, 'CheckLipReading').Resource = sampleFunctionArn('read-minds');

      // Act
      const problems = taskResourceProblems(broken, functionByArn);

      // Assess
      expect(problems).toEqual([expect.stringMatching(/CheckLipReading: Resource .*read-minds/)]);
    });
  });

  describe('matches only named errors', () => {
    it('uses error names that errors.ts defines, and never retries a terminal one', () => {
      expect(errorNameProblems(definition, errorNames)).toEqual([]);
    });

    it('reports an unknown error name', () => {
      // Prepare
      const broken = structuredClone(definition);
      const retry = stateAt(broken, 'Fuse').Retry as Array<{ ErrorEquals: string[] }>;
      retry[1]!.ErrorEquals.push('GremlinsError');

      // Act
      const problems = errorNameProblems(broken, errorNames);

      // Assess
      expect(problems).toEqual([expect.stringMatching(/Fuse: Retry matches "GremlinsError"/)]);
    });

    it('reports a retried terminal error', () => {
      // Prepare
      const broken = structuredClone(definition);
      const retry = stateAt(broken, 'ExtractMedia').Retry as Array<{ ErrorEquals: string[] }>;
      retry[1]!.ErrorEquals.push('UnsupportedMediaError');

      // Act
      const problems = errorNameProblems(broken, errorNames);

      // Assess
      expect(problems).toEqual([
        expect.stringMatching(/ExtractMedia: Retry matches the terminal error "UnsupportedMediaError"/),
      ]);
    });
  });

  describe('retries, catches and times out every task', () => {
    it('gives every Task jittered retries, a catch-all and a timeout', () => {
      expect(taskResilienceProblems(definition, resiliencePolicy)).toEqual([]);
    });

    it('reports a Task without TimeoutSeconds', () => {
      // Prepare
      const broken = structuredClone(definition);
      delete stateAt(broken, 'Analyse', 0, 'CheckTranscription').TimeoutSeconds;

      // Act
      const problems = taskResilienceProblems(broken, resiliencePolicy);

      // Assess
      expect(problems).toEqual([expect.stringMatching(/CheckTranscription: no TimeoutSeconds/)]);
    });

    it('reports a Task without a catch-all, a missing retry and a retry of everything', () => {
      // Prepare
      const broken = structuredClone(definition);
      delete stateAt(broken, 'Fuse').Catch;
      stateAt(broken, 'ExtractMedia').Retry = [
        { ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxDelaySeconds: 5, JitterStrategy: 'FULL' },
      ];

      // Act
      const problems = taskResilienceProblems(broken, resiliencePolicy);

      // Assess
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^Fuse: no Catch for States.ALL/),
          expect.stringMatching(/^ExtractMedia: ServiceThrottledError is not retried/),
          expect.stringMatching(/^ExtractMedia: retrier \[States.ALL\] retries every error/),
        ]),
      );
    });

    it('reports throttled retries that back off too little', () => {
      // Prepare
      const broken = structuredClone(definition);
      const retry = stateAt(broken, 'RecordFailure').Retry as Array<{ IntervalSeconds: number }>;
      retry[0]!.IntervalSeconds = 1;

      // Act
      const problems = taskResilienceProblems(broken, resiliencePolicy);

      // Assess
      expect(problems).toEqual([
        expect.stringMatching(/RecordFailure: retrier \[ServiceThrottledError\] waits under 30 s/),
      ]);
    });

    it('reports a retrier without full jitter', () => {
      // Prepare
      const broken = structuredClone(definition);
      const retry = stateAt(broken, 'Analyse', 1, 'CheckFaceDetection').Retry as Array<{ JitterStrategy?: string }>;
      delete retry[0]!.JitterStrategy;

      // Act
      const problems = taskResilienceProblems(broken, resiliencePolicy);

      // Assess
      expect(problems).toEqual([
        expect.stringMatching(/CheckFaceDetection: retrier \[ServiceThrottledError\] has no JitterStrategy FULL/),
      ]);
    });

    it('reports a retrier whose backoff has no maximum delay', () => {
      // Prepare
      const broken = structuredClone(definition);
      const retry = stateAt(broken, 'ExtractMedia').Retry as Array<{ MaxDelaySeconds?: number }>;
      delete retry[1]!.MaxDelaySeconds;

      // Act
      const problems = taskResilienceProblems(broken, resiliencePolicy);

      // Assess
      expect(problems).toEqual([expect.stringMatching(/^ExtractMedia: retrier \[.*\] has no MaxDelaySeconds cap/)]);
    });

    it('retries a function timeout (Sandbox.Timedout, as Lambda and the local runner report it) on every Task', () => {
      // Prepare
      const tasks = allStates(definition).filter(({ state }) => state.Type === 'Task');
      const broken = structuredClone(definition);
      for (const retrier of stateAt(broken, 'Analyse', 0, 'StartTranscription').Retry as Array<{
        ErrorEquals: string[];
      }>) {
        retrier.ErrorEquals = retrier.ErrorEquals.filter((error) => error !== 'Sandbox.Timedout');
      }

      // Act
      const notRetried = tasks
        .filter(({ state }) =>
          ((state.Retry as Array<{ ErrorEquals: string[] }> | undefined) ?? []).every(
            (retrier) => !retrier.ErrorEquals.includes('Sandbox.Timedout'),
          ),
        )
        .map(({ path }) => path);
      const problems = taskResilienceProblems(broken, resiliencePolicy);

      // Assess
      expect(tasks.length).toBeGreaterThan(0);
      expect(notRetried).toEqual([]);
      expect(problems).toEqual([expect.stringMatching(/StartTranscription: Sandbox.Timedout is not retried/)]);
    });

    it('retries a timeout that Lambda reports as Lambda.Unknown only as often as Sandbox.Timedout', () => {
      // Prepare: Lambda.Unknown back among the service errors, retried six times.
      const broken = structuredClone(definition);
      const retriers = stateAt(broken, 'ExtractMedia').Retry as Array<{ ErrorEquals: string[] }>;
      retriers[1]!.ErrorEquals.push('Lambda.Unknown');

      // Act
      const problems = taskResilienceProblems(broken, resiliencePolicy);

      // Assess
      expect(taskResilienceProblems(definition, resiliencePolicy)).toEqual([]);
      expect(problems).toEqual([
        expect.stringMatching(
          /ExtractMedia: retrier \[.*Lambda.Unknown\] retries a function timeout \(Lambda.Unknown\) 6 times, more than 2/,
        ),
      ]);
    });
  });

  describe('bounds every polling loop', () => {
    it('compares attempts on every edge that loops back', () => {
      expect(pollingLoopProblems(definition)).toEqual([]);
    });

    it('reports a loop whose Choice does not compare attempts', () => {
      // Prepare
      const broken = structuredClone(definition);
      const running = stateAt(broken, 'Analyse', 1, 'FaceDetectionRunning');
      running.Choices = [{ Variable: '$.state.status', StringEquals: 'running', Next: 'WaitForFaceDetection' }];

      // Act
      const problems = pollingLoopProblems(broken);

      // Assess
      expect(problems).toEqual([
        expect.stringMatching(/Analyse\/branch 1\/.*WaitForFaceDetection.*no Choice that compares attempts/),
      ]);
    });
  });

  describe("stays within Step Functions' 25,000 history events", () => {
    /** Room left for retries, which add three events each. */
    const HISTORY_LIMIT = 25_000;
    const RETRY_HEADROOM = 1 / 3;

    it('holds every polling loop at the largest max_poll_attempts Terraform accepts', async () => {
      // Prepare: the upper bound of the variable's validation.
      const module = await loadTerraformModule();
      const validation = JSON.stringify(module.variable.max_poll_attempts?.[0]?.validation);
      const maximum = Number(/max_poll_attempts <= (\d+)/.exec(validation)?.[1]);

      // Act
      const events = worstCaseHistoryEvents(renderSampleDefinition({ max_poll_attempts: maximum }), maximum);

      // Assess
      expect(maximum).toBeGreaterThan(SETTING_VARIABLES.max_poll_attempts);
      expect(events).toBeLessThanOrEqual(HISTORY_LIMIT * (1 - RETRY_HEADROOM));
    });

    it('counts about 27 events per round of checks of the three branches', () => {
      // Act
      const perRound = worstCaseHistoryEvents(definition, 101) - worstCaseHistoryEvents(definition, 100);

      // Assess
      expect(perRound).toBe(27);
    });

    it('tells users what to do when a branch runs out of checks, not to change a setting they cannot reach', () => {
      // Act
      const messages = allStates(definition).flatMap(({ state }) => {
        const error = (state.Parameters as { error?: { message?: unknown } } | undefined)?.error;
        return typeof error?.message === 'string' ? [error.message] : [];
      });

      // Assess
      expect(messages.length).toBeGreaterThanOrEqual(3);
      for (const message of messages) expect(message).not.toMatch(/max_poll_attempts/);
    });
  });

  describe('keeps the branches in modality order', () => {
    it('reports transcribe, faces, lipreading in the order Fuse reads them', () => {
      expect(branchOrderProblems(definition, MODALITIES)).toEqual([]);
    });

    it('reports a missing branch', () => {
      // Prepare
      const broken = structuredClone(definition);
      const analyse = stateAt(broken, 'Analyse') as { Branches: Definition[] };
      analyse.Branches.pop();

      // Act
      const problems = branchOrderProblems(broken, MODALITIES);

      // Assess
      expect(problems).toEqual([expect.stringMatching(/^Analyse: 2 branches, but there are 3 modalities/)]);
    });

    it('reports swapped branches', () => {
      // Prepare
      const broken = structuredClone(definition);
      const analyse = stateAt(broken, 'Analyse') as { Branches: Definition[] };
      analyse.Branches.reverse();

      // Act
      const problems = branchOrderProblems(broken, MODALITIES);

      // Assess
      expect(problems).toEqual([
        expect.stringMatching(/branch 0: reports modality \[lipreading\], expected transcribe/),
        expect.stringMatching(/branch 2: reports modality \[transcribe\], expected lipreading/),
      ]);
    });
  });
});
