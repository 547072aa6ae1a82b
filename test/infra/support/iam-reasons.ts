/**
 * The only places where a function's role and its code may differ, each with its reason.
 * Adding a grant that the code does not explain means adding a line here.
 */
import type { GrantReason } from './terraform-checks';

const OWN_LOGS = "The Lambda runtime writes the function's logs to its own log group with the function's role.";
const ESM_POLLING = "The SQS event source mapping polls the upload queue with the function's role.";
const VPC_NETWORKING = 'A function in a VPC creates, describes and removes its network interfaces with its own role.';

export const GRANTS_BEYOND_CODE: readonly GrantReason[] = [
  { action: 'logs:CreateLogStream', functions: 'all', reason: OWN_LOGS },
  { action: 'logs:PutLogEvents', functions: 'all', reason: OWN_LOGS },
  { action: 'sqs:ReceiveMessage', functions: ['start-pipeline'], reason: ESM_POLLING },
  { action: 'sqs:DeleteMessage', functions: ['start-pipeline'], reason: ESM_POLLING },
  { action: 'sqs:GetQueueAttributes', functions: ['start-pipeline'], reason: ESM_POLLING },
  {
    action: 's3:GetObject',
    functions: ['transcribe', 'face-detect'],
    reason: "Amazon Transcribe and Amazon Rekognition read the job's media with the caller's rights.",
  },
  {
    action: 's3:PutObject',
    functions: ['transcribe'],
    reason: "Amazon Transcribe writes transcribe.json to OutputBucketName with the caller's rights.",
  },
  {
    action: 's3:PutObject',
    functions: ['api'],
    reason: 'A presigned POST is signed with the API role; S3 checks s3:PutObject when the browser posts the upload.',
  },
  {
    action: 's3:ListBucket',
    functions: ['api'],
    reason: 'Without it S3 answers a HEAD of a missing result file with 403 instead of 404.',
  },
  ...[
    'ec2:CreateNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSubnets',
    'ec2:DeleteNetworkInterface',
    'ec2:AssignPrivateIpAddresses',
    'ec2:UnassignPrivateIpAddresses',
  ].map((action) => ({ action, functions: ['invoke-lipreading'], reason: VPC_NETWORKING })),
];

/** SDK calls a bundle contains (a shared adapter class) but that function never makes. */
export const WITHHELD_FROM_CODE: readonly GrantReason[] = [
  {
    action: 'ec2:DescribeInstances',
    functions: ['stop-idle-gpu'],
    reason: 'The idle stopper decides from the group and its busy mark alone; it never looks at the instance.',
  },
  {
    action: 'autoscaling:CreateOrUpdateTags',
    functions: ['stop-idle-gpu'],
    reason: 'Only invoke-lipreading marks the GPU group busy; the stopper only reads the mark.',
  },
  {
    action: 's3:PutObject',
    functions: ['invoke-lipreading'],
    reason: 'invoke-lipreading only checks that the model manifest exists; it never writes through S3ObjectStore.',
  },
  {
    action: 'dynamodb:PutItem',
    functions: ['extract', 'transcribe', 'face-detect', 'invoke-lipreading', 'fuse', 'record-failure'],
    reason: 'Only start-pipeline creates job rows (createIfAbsent); the others update rows that exist.',
  },
  {
    action: 's3:PutObject',
    functions: ['start-pipeline'],
    reason: 'start-pipeline only heads uploads; it never writes through S3ObjectStore.',
  },
  {
    action: 's3:PutObject',
    functions: ['invoke-lipreading'],
    reason: 'invoke-lipreading only reads speech.json through S3ObjectStore; the server writes lipreading.json.',
  },
];

/** AWS-managed policies the module may attach, with why. */
export const ALLOWED_MANAGED_POLICIES: ReadonlyMap<string, string> = new Map([
  ['AmazonSSMManagedInstanceCore', 'Session Manager replaces SSH on the lip-reading instance (no key pair).'],
]);
