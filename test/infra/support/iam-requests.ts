/**
 * The AWS requests each role really makes, for the IAM simulation (test/infra/iam-simulation.test.ts).
 *
 * Which SDK commands a function sends comes from its bundle (code-facts.ts); this file says,
 * for each of those commands, which IAM actions on which resources (with which condition
 * keys) it becomes. It also lists what AWS does on a role's behalf: the Lambda runtime
 * writing logs and traces, the SQS poller, Transcribe and Rekognition reading the media, S3
 * checking s3:ListBucket when a key is missing. A command the bundle holds but the function
 * never sends is listed under `never`, with why.
 */
import { Lazy, type Value } from '../../../scripts/terraform/hcl-expression';
import type { EvaluatedModule } from '../../../scripts/terraform/module';

export interface IamRequest {
  action: string;
  resource: string;
  /** Condition keys the request carries, e.g. s3:prefix on a listing. */
  context?: Record<string, string | string[]>;
  why: string;
}

/** An SDK command as code-facts.ts names it: the client without "client-", then the operation. */
export type CallKey = `${string}.${string}`;

export type CallRequests = IamRequest[] | { never: string };

export interface RoleRequests {
  /** Requests per SDK command found in the role's code. */
  calls: Partial<Record<CallKey, CallRequests>>;
  /** Requests AWS makes with the role that no SDK command in the code names. */
  onBehalf: IamRequest[];
}

/** ARNs of the sample deployment, read from the evaluated module so they match its policies. */
export class SampleArns {
  readonly jobId = '0f3c9a1b2d4e5f60718293a4b5c6d7e8';
  constructor(private readonly module: EvaluatedModule) {}

  private attribute(type: string, name: string, key: string | undefined, attribute: string): string {
    let value: Value = this.module.instances('resource', type, name);
    if (key !== undefined) value = (value as Record<string, Value>)[key]!;
    // A resource made only with a feature on (count = 0 or 1).
    else if (Array.isArray(value) && value.length === 1) value = value[0]!;
    if (!(value instanceof Lazy)) throw new Error(`${type}.${name}${key ? `["${key}"]` : ''} is not a single instance`);
    return String(value.get(attribute));
  }

  bucket(name: 'uploads' | 'processed' | 'artifacts'): string {
    return this.attribute('aws_s3_bucket', 'this', name, 'arn');
  }
  object(bucket: 'uploads' | 'processed' | 'artifacts', key: string): string {
    return `${this.bucket(bucket)}/${key}`;
  }
  jobFile(file: string): string {
    return this.object('processed', `jobs/${this.jobId}/${file}`);
  }
  table(name: string): string {
    return this.attribute('aws_dynamodb_table', name, undefined, 'arn');
  }
  functionName(fn: string): string {
    return this.attribute('aws_lambda_function', 'this', fn, 'function_name');
  }
  functionArn(fn: string): string {
    return this.attribute('aws_lambda_function', 'this', fn, 'arn');
  }
  logStream(fn: string): string {
    return `${this.attribute('aws_cloudwatch_log_group', 'function', fn, 'arn')}:log-stream:2026/01/01/[$LATEST]0123456789abcdef`;
  }
  stateMachine(): string {
    return this.attribute('aws_sfn_state_machine', 'pipeline', undefined, 'arn');
  }
  execution(): string {
    return `${this.stateMachine().replace(':stateMachine:', ':execution:')}:${this.jobId}`;
  }
  queue(name: string): string {
    return this.attribute('aws_sqs_queue', name, undefined, 'arn');
  }
  role(name: string): string {
    return this.attribute('aws_iam_role', name, undefined, 'arn');
  }
  /** The GPU group as AWS names it: the policies match its name, whatever id AWS gives it. */
  gpuGroup(): string {
    const name = String(this.module.local('avhubert_group_name'));
    return `arn:aws:autoscaling:${this.region()}:${this.account()}:autoScalingGroup:6f1c2e0a-8b4d-4c7e-9a51-3d2f0e9b7c14:autoScalingGroupName/${name}`;
  }
  parameter(name: string): string {
    return this.attribute('aws_ssm_parameter', 'telegram', name, 'arn');
  }
  modelManifest(): string {
    return this.object('artifacts', `${this.variable('avhubert_model_prefix')}manifest.json`);
  }
  lipReadingSecret(): string {
    return this.attribute('aws_ssm_parameter', 'avhubert_secret', undefined, 'arn');
  }
  region(): string {
    return this.module.region;
  }
  account(): string {
    return this.module.accountId;
  }
  variable(name: string): string {
    return String(this.module.variable(name));
  }
}

const request = (action: string, resource: string, why: string, context?: IamRequest['context']): IamRequest => ({
  action,
  resource,
  why,
  ...(context ? { context } : {}),
});

const MISSING_KEY =
  'S3 answers a read of a missing key 404 only to a caller with s3:ListBucket on the bucket (no s3:prefix in that check), 403 otherwise';

/** What every function's role does for the Lambda runtime: its logs and, with active tracing, its traces. */
export function runtimeRequests(arns: SampleArns, fn: string): IamRequest[] {
  return [
    request('logs:CreateLogStream', arns.logStream(fn), 'the Lambda runtime opens a log stream'),
    request('logs:PutLogEvents', arns.logStream(fn), 'the Lambda runtime writes the log lines'),
    request('xray:PutTraceSegments', '*', 'active tracing sends each invocation to X-Ray'),
    request('xray:PutTelemetryRecords', '*', 'active tracing reports its own telemetry'),
  ];
}

const jobRowUpdate = (arns: SampleArns): IamRequest[] => [
  request('dynamodb:UpdateItem', arns.table('jobs'), 'records its stage, the outcome or the failure on the job row'),
];

/**
 * Defaults for a pipeline task that is not listed below (a new function picks these up):
 * updates of the job row and reads and writes of its own job's files.
 */
export function defaultCallRequests(arns: SampleArns): Partial<Record<CallKey, CallRequests>> {
  return {
    'dynamodb.UpdateItem': jobRowUpdate(arns),
    's3.GetObject': [request('s3:GetObject', arns.jobFile('video.mp4'), "reads its job's files")],
    's3.PutObject': [request('s3:PutObject', arns.jobFile('result.json'), "writes its job's files")],
  };
}

/** /delete removes every version of a volunteer's files: DeleteObject with a VersionId is s3:DeleteObjectVersion. */
const withdrawalDeletes = (object: string): IamRequest[] => [
  request('s3:DeleteObjectVersion', object, '/delete removes every version of what a volunteer recorded'),
];

/** ListObjectVersions is authorised as s3:ListBucketVersions, with the prefix as s3:prefix. */
const withdrawalListings = (arns: SampleArns, bucket: 'uploads' | 'processed', prefix: string): IamRequest[] => [
  request('s3:ListBucketVersions', arns.bucket(bucket), `/delete lists every version under ${prefix}`, {
    's3:prefix': prefix,
  }),
];

/** A withdrawn recording's job row goes with its files. */
const withdrawnJobRow = (arns: SampleArns): IamRequest[] => [
  request('dynamodb:DeleteItem', arns.table('jobs'), "/delete removes the job rows of a volunteer's recordings"),
];

/** Every role of the module, by a short name, with the requests it makes. */
export function roleRequests(arns: SampleArns): Record<string, RoleRequests> {
  const upload = arns.object('uploads', 'uploads/2b1e6c52-6c1e-4c39-9d0e-7f1f5c3a9b10/talk.mp4');
  const contribution = arns.object('uploads', 'contributions/c0ffee/rec-1.mp4');
  const presentUploads = [
    request('s3:GetObject', upload, 'an upload from an unversioned event'),
    request('s3:GetObject', contribution, 'a bot contribution'),
    request('s3:GetObjectVersion', upload, 'the version the upload event names (R11)'),
    request('s3:GetObjectVersion', contribution, 'the version the contribution event names'),
    request('s3:ListBucket', arns.bucket('uploads'), `a deleted upload: ${MISSING_KEY}`),
  ];
  const botTables = ['bot_contributors', 'bot_recordings', 'bot_sentences', 'bot_updates'] as const;
  return {
    'start-pipeline': {
      calls: {
        's3.HeadObject': presentUploads,
        's3.GetObject': { never: 'S3ObjectStore holds reads; start-pipeline only heads the upload' },
        's3.PutObject': { never: 'S3ObjectStore holds writes; start-pipeline writes no object' },
        'dynamodb.PutItem': [request('dynamodb:PutItem', arns.table('jobs'), 'creates the job row, conditionally')],
        'dynamodb.GetItem': [
          request('dynamodb:GetItem', arns.table('jobs'), 'reads the row back after a duplicate event'),
        ],
        'dynamodb.UpdateItem': [request('dynamodb:UpdateItem', arns.table('jobs'), 'records the execution on the row')],
        'sfn.StartExecution': [request('states:StartExecution', arns.stateMachine(), 'starts the pipeline')],
      },
      onBehalf: [
        ...runtimeRequests(arns, 'start-pipeline'),
        ...['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'].map((action) =>
          request(
            action,
            arns.queue('upload_events'),
            'the SQS event source mapping polls the upload queue with the function role',
          ),
        ),
      ],
    },
    extract: {
      calls: {
        's3.GetObject': presentUploads,
        's3.HeadObject': { never: 'S3ObjectStore holds heads; extract downloads' },
        's3.PutObject': ['audio.wav', 'video.mp4', 'poster.jpg', 'probe.json', 'speech.json'].map((file) =>
          request('s3:PutObject', arns.jobFile(file), 'writes what the branches read (speech.json: voice activity)'),
        ),
        'dynamodb.UpdateItem': jobRowUpdate(arns),
      },
      onBehalf: runtimeRequests(arns, 'extract'),
    },
    transcribe: {
      calls: {
        'transcribe.StartTranscriptionJob': [
          request('transcribe:StartTranscriptionJob', '*', 'starts the job (the action has no resource type)'),
          request(
            'iam:PassRole',
            arns.role('transcribe_data_access'),
            'hands Transcribe the role it reads queued media with',
            {
              'iam:PassedToService': 'transcribe.amazonaws.com',
            },
          ),
        ],
        'transcribe.GetTranscriptionJob': [
          request(
            'transcribe:GetTranscriptionJob',
            `arn:aws:transcribe:${arns.region()}:${arns.account()}:transcription-job/gorggle-${arns.jobId}`,
            'checks the job',
          ),
        ],
        'dynamodb.UpdateItem': jobRowUpdate(arns),
      },
      onBehalf: [
        ...runtimeRequests(arns, 'transcribe'),
        request(
          's3:GetObject',
          arns.jobFile('audio.wav'),
          "Transcribe reads the audio of a job it starts at once with the caller's rights",
        ),
        request(
          's3:PutObject',
          arns.jobFile('transcribe.json'),
          "Transcribe writes OutputKey with the caller's rights",
        ),
      ],
    },
    'face-detect': {
      calls: {
        'rekognition.StartFaceDetection': [request('rekognition:StartFaceDetection', '*', 'starts detection')],
        'rekognition.GetFaceDetection': [request('rekognition:GetFaceDetection', '*', 'reads the result pages')],
        's3.PutObject': [request('s3:PutObject', arns.jobFile('faces.json'), 'writes the face tracks')],
        's3.GetObject': { never: 'S3ObjectStore holds reads; face-detect only writes faces.json' },
        's3.HeadObject': { never: 'S3ObjectStore holds heads; face-detect only writes faces.json' },
        'dynamodb.GetItem': [
          request('dynamodb:GetItem', arns.table('quota_leases'), 'finds lapsed leases when the gate is full'),
        ],
        'dynamodb.PutItem': [
          request('dynamodb:PutItem', arns.table('quota_leases'), "creates the gate's item on first use"),
        ],
        'dynamodb.UpdateItem': [
          ...jobRowUpdate(arns),
          request('dynamodb:UpdateItem', arns.table('quota_leases'), 'takes, renews and releases a slot'),
        ],
      },
      onBehalf: [
        ...runtimeRequests(arns, 'face-detect'),
        request('s3:GetObject', arns.jobFile('video.mp4'), "Rekognition reads the video with the caller's rights"),
      ],
    },
    'invoke-lipreading': {
      calls: {
        'auto-scaling.DescribeAutoScalingGroups': [
          request('autoscaling:DescribeAutoScalingGroups', '*', 'reads the GPU group, its instance and busy mark'),
        ],
        'auto-scaling.DescribeScalingActivities': [
          request('autoscaling:DescribeScalingActivities', '*', 'reads why a launch failed (quota, capacity)'),
        ],
        'auto-scaling.SetDesiredCapacity': [
          request('autoscaling:SetDesiredCapacity', arns.gpuGroup(), 'scales the idle GPU group to one'),
        ],
        'auto-scaling.CreateOrUpdateTags': [
          request('autoscaling:CreateOrUpdateTags', arns.gpuGroup(), 'marks the group busy on every start and check'),
        ],
        'ec2.DescribeInstances': [
          request('ec2:DescribeInstances', '*', "finds the group's instance's private address"),
        ],
        'ssm.GetParameters': [
          request('ssm:GetParameters', arns.lipReadingSecret(), "reads the server's shared secret (aws/ssm key)"),
        ],
        's3.HeadObject': [
          request(
            's3:GetObject',
            arns.modelManifest(),
            'checks that a model package is uploaded before waking the GPU',
          ),
          request('s3:ListBucket', arns.bucket('artifacts'), `no model uploaded yet: ${MISSING_KEY}`),
        ],
        's3.GetObject': [
          request(
            's3:GetObject',
            arns.jobFile('speech.json'),
            'reads the speech segments that bound what the server decodes',
          ),
        ],
        's3.PutObject': { never: 'S3ObjectStore holds writes; invoke-lipreading writes no object' },
        'dynamodb.UpdateItem': jobRowUpdate(arns),
      },
      onBehalf: [
        ...runtimeRequests(arns, 'invoke-lipreading'),
        ...[
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ].map((action) =>
          request(action, '*', 'Lambda manages the network interfaces of a function in a VPC with its role'),
        ),
      ],
    },
    'active-speaker': {
      calls: {
        's3.GetObject': [
          request('s3:GetObject', arns.jobFile('faces.json'), 'reads the face tracks to score'),
          request('s3:GetObject', arns.jobFile('speech.json'), "reads extract's speech segments"),
          request('s3:GetObject', arns.jobFile('video.mp4'), 'downloads the video for the face crops'),
          request('s3:GetObject', arns.jobFile('audio.wav'), 'downloads the audio for the MFCCs'),
        ],
        's3.HeadObject': { never: 'S3ObjectStore holds heads; active-speaker reads and writes' },
        's3.PutObject': [request('s3:PutObject', arns.jobFile('speakers.json'), 'writes who speaks when')],
      },
      onBehalf: runtimeRequests(arns, 'active-speaker'),
    },
    'stop-idle-gpu': {
      calls: {
        'auto-scaling.DescribeAutoScalingGroups': [
          request('autoscaling:DescribeAutoScalingGroups', '*', 'reads the capacity and the busy mark'),
        ],
        'auto-scaling.DescribeScalingActivities': [
          request('autoscaling:DescribeScalingActivities', '*', 'finds the last successful launch'),
        ],
        'auto-scaling.SetDesiredCapacity': [
          request('autoscaling:SetDesiredCapacity', arns.gpuGroup(), 'scales the idle group to zero'),
        ],
        'auto-scaling.CreateOrUpdateTags': {
          never: 'AutoScalingGpuGroup holds the busy mark; only invoke-lipreading sets it, the stopper reads it',
        },
        'ec2.DescribeInstances': {
          never: 'AutoScalingGpuGroup holds instance lookups; the stopper decides from the group alone',
        },
      },
      onBehalf: runtimeRequests(arns, 'stop-idle-gpu'),
    },
    fuse: {
      calls: {
        's3.GetObject': [
          ...['transcribe.json', 'faces.json', 'speakers.json', 'lipreading.json'].map((file) =>
            request('s3:GetObject', arns.jobFile(file), 'reads what a branch produced'),
          ),
          request('s3:GetObject', arns.jobFile('speech.json'), "reads extract's voice activity"),
          request('s3:ListBucket', arns.bucket('processed'), `a branch output that is gone: ${MISSING_KEY}`),
        ],
        's3.HeadObject': { never: 'S3ObjectStore holds heads; fuse reads and writes' },
        's3.PutObject': ['result.json', 'captions.vtt', 'captions.srt', 'audio.vtt', 'visual.vtt'].map((file) =>
          request('s3:PutObject', arns.jobFile(file), 'writes the result and the captions'),
        ),
        'dynamodb.UpdateItem': jobRowUpdate(arns),
      },
      onBehalf: runtimeRequests(arns, 'fuse'),
    },
    'record-failure': {
      calls: { 'dynamodb.UpdateItem': jobRowUpdate(arns) },
      onBehalf: runtimeRequests(arns, 'record-failure'),
    },
    api: {
      calls: {
        'dynamodb.GetItem': [request('dynamodb:GetItem', arns.table('jobs'), 'reads a job row')],
        'dynamodb.Query': [
          request('dynamodb:Query', `${arns.table('jobs')}/index/recent`, "an admin's list of every job"),
          request('dynamodb:Query', `${arns.table('jobs')}/index/by-owner`, "a user's list of their own jobs"),
        ],
        's3.ListObjectsV2': [
          request('s3:ListBucket', arns.bucket('processed'), "lists one job's files", {
            's3:prefix': `jobs/${arns.jobId}/`,
          }),
          request('s3:ListBucket', arns.bucket('processed'), "lists a job's caption edits versions", {
            's3:prefix': `jobs/${arns.jobId}/edits/`,
          }),
        ],
        's3.GetObject': [
          request(
            's3:GetObject',
            arns.jobFile('result.json'),
            'the browser fetches a result link signed with this role',
          ),
          request('s3:GetObject', arns.jobFile('edits/v1.json'), 'reads a caption edits version'),
          request('s3:GetObject', arns.jobFile('transcribe.json'), 'exports the speech-only track with names'),
          request('s3:GetObject', arns.jobFile('lipreading.json'), 'exports the lip-reading track with names'),
        ],
        's3.PutObject': [
          request(
            's3:PutObject',
            arns.jobFile('edits/v1.json'),
            'saves a caption edits version, created with If-None-Match so none is overwritten',
          ),
        ],
        'sfn.GetExecutionHistory': [
          request('states:GetExecutionHistory', arns.execution(), "summarises a job's execution"),
        ],
      },
      onBehalf: [
        ...runtimeRequests(arns, 'api'),
        request('s3:PutObject', upload, 'the browser posts an upload under a POST policy signed with this role'),
      ],
    },
    'telegram-bot': {
      calls: {
        'dynamodb.GetItem': [
          request('dynamodb:GetItem', arns.table('bot_contributors'), "reads the contributor's state"),
          request('dynamodb:GetItem', arns.table('bot_recordings'), 'reads a recording'),
        ],
        'dynamodb.PutItem': [
          request('dynamodb:PutItem', arns.table('bot_contributors'), 'saves the contributor'),
          request('dynamodb:PutItem', arns.table('bot_sentences'), '/sentences add'),
          request('dynamodb:PutItem', arns.table('bot_recordings'), 'records a recording'),
        ],
        'dynamodb.UpdateItem': [
          request('dynamodb:UpdateItem', arns.table('bot_sentences'), 'counts recordings per sentence'),
          request('dynamodb:UpdateItem', arns.table('bot_recordings'), 'marks a recording'),
          request('dynamodb:UpdateItem', arns.table('bot_updates'), 'claims a Telegram update once'),
        ],
        'dynamodb.Scan': botTables
          .filter((table) => table !== 'bot_updates')
          .map((table) =>
            request('dynamodb:Scan', arns.table(table), '/stats, /export and sentence choice read the whole table'),
          ),
        'dynamodb.DeleteItem': [
          request(
            'dynamodb:DeleteItem',
            arns.table('bot_contributors'),
            '/clear_test_data and forgetting a contributor',
          ),
          request('dynamodb:DeleteItem', arns.table('bot_sentences'), '/clear_test_data'),
          request('dynamodb:DeleteItem', arns.table('bot_recordings'), '/clear_test_data'),
          ...withdrawnJobRow(arns),
        ],
        's3.DeleteObject': [
          request('s3:DeleteObject', contribution, '/clear_test_data removes test recordings'),
          ...withdrawalDeletes(contribution),
          ...withdrawalDeletes(arns.jobFile('result.json')),
        ],
        's3.ListObjectVersions': [
          ...withdrawalListings(arns, 'uploads', 'contributions/c0ffee/'),
          ...withdrawalListings(arns, 'processed', `jobs/${arns.jobId}/`),
        ],
        'dynamodb.Query': [
          request(
            'dynamodb:Query',
            `${arns.table('bot_recordings')}/index/by-user`,
            "/mine and /delete find a volunteer's recordings",
          ),
        ],
        'storage.Upload': [request('s3:PutObject', contribution, 'streams a recording to contributions/')],
        'ssm.GetParameters': (['bot-token', 'webhook-secret', 'contributor-salt'] as const).map((name) =>
          request('ssm:GetParameters', arns.parameter(name), 'reads the bot secrets'),
        ),
      },
      onBehalf: runtimeRequests(arns, 'telegram-bot'),
    },
    'contribution-feedback': {
      calls: {
        'dynamodb.GetItem': [
          request('dynamodb:GetItem', arns.table('jobs'), "reads the contribution's job"),
          request('dynamodb:GetItem', arns.table('bot_recordings'), 'reads the recording'),
        ],
        'dynamodb.UpdateItem': [
          request('dynamodb:UpdateItem', arns.table('bot_recordings'), 'stores the verdict'),
          request(
            'dynamodb:UpdateItem',
            arns.table('bot_sentences'),
            "takes a rejected take out of its sentence's count",
          ),
        ],
        'dynamodb.DeleteItem': withdrawnJobRow(arns),
        's3.GetObject': [
          request('s3:GetObject', arns.jobFile('result.json'), 'checks the sentence against the transcript'),
          request('s3:GetObject', arns.jobFile('faces.json'), 'checks the face, its size and light'),
          request('s3:GetObject', arns.jobFile('speech.json'), 'checks for speech by voice activity'),
          request('s3:GetObject', arns.jobFile('speakers.json'), 'checks that the face on screen is the one speaking'),
          request('s3:ListBucket', arns.bucket('processed'), `a job without one of them: ${MISSING_KEY}`),
        ],
        's3.ListObjectVersions': withdrawalListings(arns, 'processed', `jobs/${arns.jobId}/`),
        's3.DeleteObject': withdrawalDeletes(arns.jobFile('result.json')),
        'ssm.GetParameters': [
          request('ssm:GetParameters', arns.parameter('bot-token'), 'sends the verdict as the bot'),
        ],
      },
      onBehalf: runtimeRequests(arns, 'contribution-feedback'),
    },
  };
}

/** Roles that run no code of ours: what AWS does with them, named by their aws_iam_role resource. */
export function serviceRoleRequests(
  arns: SampleArns,
  invokedFunctions: readonly string[],
): Record<string, IamRequest[]> {
  const modelPrefix = arns.variable('avhubert_model_prefix');
  return {
    state_machine: [
      ...invokedFunctions.map((fn) =>
        request('lambda:InvokeFunction', arns.functionArn(fn), 'a Task of the rendered definition invokes it'),
      ),
      ...[
        'logs:CreateLogDelivery',
        'logs:GetLogDelivery',
        'logs:UpdateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:DescribeResourcePolicies',
        'logs:DescribeLogGroups',
      ].map((action) => request(action, '*', 'Step Functions delivers execution logs to CloudWatch Logs')),
      ...['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'].map(
        (action) => request(action, '*', 'Step Functions traces executions'),
      ),
    ],
    transcribe_data_access: [
      request('s3:GetObject', arns.jobFile('audio.wav'), 'Transcribe reads the audio of a queued job with this role'),
      request('s3:PutObject', arns.jobFile('transcribe.json'), 'and writes its transcript with it'),
    ],
    // The role as the launch template's instance uses it, beside the server's own calls.
    avhubert: [
      request(
        's3:GetObject',
        arns.object('artifacts', 'avhubert/gorggle-avhubert-0123456789abcdef.tar.gz'),
        "first boot downloads the server bundle (user data's aws s3 cp)",
      ),
      request('s3:ListBucket', arns.bucket('artifacts'), 'install checks that a model is uploaded (aws s3 ls)', {
        's3:prefix': `${modelPrefix}manifest.json`,
      }),
      request(
        's3:ListBucket',
        arns.bucket('artifacts'),
        'install and the server sync the model package (aws s3 sync)',
        {
          's3:prefix': modelPrefix,
        },
      ),
      request('s3:GetObject', arns.modelManifest(), 'and download its files'),
    ],
  };
}

/** The avhubert role's requests per SDK command of the lip-reading server's bundle. */
export function serverCallRequests(arns: SampleArns): Partial<Record<CallKey, CallRequests>> {
  return {
    's3.GetObject': [request('s3:GetObject', arns.jobFile('video.mp4'), 'downloads the video it lip-reads')],
    's3.PutObject': [request('s3:PutObject', arns.jobFile('lipreading.json'), 'writes lipreading.json beside it')],
    's3.HeadObject': { never: 'S3ObjectStore holds heads; the server downloads and writes' },
    'ssm.GetParameter': [
      request('ssm:GetParameter', arns.lipReadingSecret(), 'reads its shared secret once at start (aws/ssm key)'),
    ],
  };
}
