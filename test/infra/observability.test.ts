/**
 * What terraform/observability.tf, quotas.tf and the lifecycle rules promise, held to the code:
 * stopped executions reach RecordFailure, the metric filters count the lines the functions
 * really log, every alarm of the issue exists, tracing is on, and job rows expire with their files.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { INPUT_ERROR_NAMES } from '../../functions/lib/errors';
import { JOB_FAILED_LOG_MESSAGE, JOB_FINISHED_LOG_MESSAGE } from '../../functions/lib/pipeline/job-log';
import {
  eventRules,
  matchesPattern,
  type ExecutionStatusChangeEvent,
} from '../../scripts/local-stack/events/event-bus';
import type { Lazy, Value } from '../../scripts/terraform/hcl-expression';
import { EvaluatedModule } from '../../scripts/terraform/module';
import { REPO_ROOT } from '../support/paths';

let module: EvaluatedModule;
const resource = (type: string, name: string) => module.instances('resource', type, name) as Lazy;
const each = (type: string, name: string) => module.instances('resource', type, name) as Record<string, Lazy>;
const functions = () => Object.keys(module.local('lambda_functions') as Record<string, Value>);

beforeAll(async () => {
  // Lip reading on: the GPU group and its stopper exist, with their alarms.
  module = await EvaluatedModule.load(path.join(REPO_ROOT, 'terraform'), { variables: { enable_lipreading: true } });
});

describe('every job ends', () => {
  const event = (status: string): ExecutionStatusChangeEvent => {
    const sample = JSON.parse(
      readFileSync(path.join(REPO_ROOT, 'events', 'record-failure', 'execution-timed-out.json'), 'utf8'),
    ) as ExecutionStatusChangeEvent;
    sample.detail.stateMachineArn = String(module.local('state_machine_arn'));
    return { ...sample, detail: { ...sample.detail, status } };
  };

  it('sends executions that time out or are aborted, and only those, to RecordFailure', () => {
    // Act
    const toRecordFailure = eventRules(module).filter((rule) =>
      rule.targets.some((target) => target.function === 'record-failure'),
    );

    // Assess
    expect(toRecordFailure).toHaveLength(1);
    const [rule] = toRecordFailure;
    expect(
      ['TIMED_OUT', 'ABORTED', 'FAILED', 'SUCCEEDED'].filter((status) => matchesPattern(rule!.pattern, event(status))),
    ).toEqual(['TIMED_OUT', 'ABORTED']);
  });

  it('keeps events it could not deliver, for RecordFailure and contribution-feedback alike', () => {
    for (const target of ['record_failure', 'contribution_feedback']) {
      const deadLetters = resource('aws_cloudwatch_event_target', target).get('dead_letter_config') as Array<{
        arn: string;
      }>;
      expect(deadLetters[0]?.arn).toBe(resource('aws_sqs_queue', 'event_dead_letters').get('arn'));
    }
  });
});

describe('alarms count what the code logs', () => {
  const filterPattern = (name: string) => String(resource('aws_cloudwatch_log_metric_filter', name).get('pattern'));

  it("counts the pipeline's own failures, not users' bad files", () => {
    // Assess: record-failure logs JOB_FAILED_LOG_MESSAGE with blame "input" for INPUT_ERROR_NAMES.
    expect(filterPattern('pipeline_failures')).toBe(
      `{ ($.message = "${JOB_FAILED_LOG_MESSAGE}") && ($.blame = "pipeline") }`,
    );
    expect(INPUT_ERROR_NAMES).toEqual(expect.arrayContaining(['UnsupportedMediaError', 'UploadRejectedError']));
    expect(resource('aws_cloudwatch_log_metric_filter', 'pipeline_failures').get('log_group_name')).toBe(
      each('aws_cloudwatch_log_group', 'function')['record-failure']?.get('name'),
    );
  });

  it('derives the DEGRADED rate from the line fuse logs when a job finishes', () => {
    expect(filterPattern('jobs_finished')).toBe(`{ $.message = "${JOB_FINISHED_LOG_MESSAGE}" }`);
    expect(filterPattern('jobs_degraded')).toBe(
      `{ ($.message = "${JOB_FINISHED_LOG_MESSAGE}") && ($.status = "DEGRADED") }`,
    );
  });

  it('alarms on Lambda errors and throttles of every function, API 5xx, stopped executions, the DEGRADED rate and GPU hours', () => {
    // Act
    const alarms = module.names('resource', 'aws_cloudwatch_metric_alarm').flatMap((name) => {
      const value = module.instances('resource', 'aws_cloudwatch_metric_alarm', name) as Lazy | Record<string, Lazy>;
      const instances = 'get' in value && typeof value.get === 'function' ? [value as Lazy] : Object.values(value);
      return instances.map((alarm) => ({
        metric: alarm.get('metric_name'),
        dimensions: alarm.get('dimensions') as Record<string, Value> | null,
      }));
    });
    const byMetric = (metric: string) => alarms.filter((alarm) => alarm.metric === metric);

    // Assess
    const functionNames = functions().map((fn) => each('aws_lambda_function', 'this')[fn]?.get('function_name'));
    expect(
      byMetric('Errors')
        .map((alarm) => alarm.dimensions?.FunctionName)
        .sort(),
    ).toEqual([...functionNames].sort());
    expect(byMetric('Throttles')).toHaveLength(functionNames.length);
    for (const metric of [
      '5xx',
      'ExecutionsTimedOut',
      'ExecutionsAborted',
      'JobsFailedByPipeline',
      'GroupInServiceInstances',
    ]) {
      expect({ metric, alarms: byMetric(metric).length }).toEqual({ metric, alarms: 1 });
    }
    // GPU hours are counted on the group: every launch is a new instance.
    expect(byMetric('GroupInServiceInstances')[0]?.dimensions).toEqual({
      AutoScalingGroupName: (module.instances('resource', 'aws_autoscaling_group', 'avhubert') as Lazy[])[0]?.get(
        'name',
      ),
    });
    expect(
      (module.instances('resource', 'aws_autoscaling_group', 'avhubert') as Lazy[])[0]?.get('enabled_metrics'),
    ).toContain('GroupInServiceInstances');
    expect(resource('aws_cloudwatch_metric_alarm', 'degraded_rate').get('metric_query')).toEqual(
      expect.arrayContaining([expect.objectContaining({ expression: expect.stringContaining('degraded / finished') })]),
    );
    // The old alarm on every failed execution, bad files included, is gone.
    expect(byMetric('ExecutionsFailed')).toEqual([]);
  });

  it('without lip reading, watches no GPU and no stopper', async () => {
    // Prepare
    const off = await EvaluatedModule.load(path.join(REPO_ROOT, 'terraform'));

    // Act
    const gpuAlarms = off.instances('resource', 'aws_cloudwatch_metric_alarm', 'gpu_running_hours') as Lazy[];
    const watched = Object.keys(off.instances('resource', 'aws_cloudwatch_metric_alarm', 'function_errors') as object);
    const dashboard = String(
      (off.instances('resource', 'aws_cloudwatch_dashboard', 'pipeline') as Lazy).get('dashboard_body'),
    );

    // Assess
    expect(gpuAlarms).toEqual([]);
    expect(watched).not.toContain('stop-idle-gpu');
    expect(watched).toContain('invoke-lipreading');
    expect(dashboard).not.toContain('AWS/AutoScaling');
  });

  it('draws a dashboard over every function', () => {
    const body = JSON.parse(String(resource('aws_cloudwatch_dashboard', 'pipeline').get('dashboard_body'))) as {
      widgets: unknown[];
    };
    expect(body.widgets.length).toBeGreaterThanOrEqual(6);
    for (const fn of functions()) expect(JSON.stringify(body)).toContain(`"gorggle-${fn}"`);
  });

  it('traces every function', () => {
    for (const fn of functions()) {
      expect({ fn, tracing: each('aws_lambda_function', 'this')[fn]?.get('tracing_config') }).toEqual({
        fn,
        tracing: [{ mode: 'Active' }],
      });
    }
  });
});

describe('lifecycle', () => {
  it('expires job rows (expiresAt) after as many days as the processed bucket keeps their files', () => {
    // Prepare
    const jobs = resource('aws_dynamodb_table', 'jobs');
    const processedRules = resource('aws_s3_bucket_lifecycle_configuration', 'processed').get('rule') as Array<
      Record<string, Value>
    >;
    const jobFiles = processedRules.find((rule) => rule.id === 'expire-job-files') as {
      expiration: Array<{ days: number }>;
    };
    const environment = module.local('function_environment') as Record<string, Record<string, Value>>;

    // Assess
    expect(jobs.get('ttl')).toEqual([{ attribute_name: 'expiresAt', enabled: true }]);
    expect(Number(environment['start-pipeline']?.JOB_RETENTION_DAYS)).toBe(jobFiles.expiration[0]?.days);
    expect(Number(environment.api?.JOB_RETENTION_DAYS)).toBe(jobFiles.expiration[0]?.days);
  });

  it("expires users' uploads after upload_retention_days and keeps the bot's contributions", () => {
    // Act
    const rules = resource('aws_s3_bucket_lifecycle_configuration', 'uploads').get('rule') as Array<
      Record<string, Value>
    >;
    const expiring = rules.filter((rule) => Array.isArray(rule.expiration) && rule.expiration.length);

    // Assess
    expect(expiring).toEqual([
      expect.objectContaining({
        filter: [{ prefix: 'uploads/' }],
        expiration: [{ days: module.variable('upload_retention_days') }],
      }),
    ]);
  });
});
