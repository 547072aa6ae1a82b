locals {
  # One entry per functions/<name>/handler.ts; test/infra holds this map to the build's
  # function list, and each environment below to that function's configSchema.
  lambda_functions = {
    "start-pipeline" = {
      description       = "Turns an upload event into a job row and a pipeline execution."
      memory_size       = 256
      timeout           = 30
      ephemeral_storage = 512
      in_vpc            = false
    }
    extract = {
      description = "Probes the upload and writes 16 kHz audio, 25 fps video and a poster with ffmpeg."
      memory_size = 3008
      timeout     = 900
      # Holds the source (up to max_upload_bytes) and its converted copies at once.
      ephemeral_storage = 6144
      in_vpc            = false
    }
    transcribe = {
      description       = "Starts and checks the Amazon Transcribe job of one pipeline execution."
      memory_size       = 256
      timeout           = 30
      ephemeral_storage = 512
      in_vpc            = false
    }
    "face-detect" = {
      description       = "Starts and checks Amazon Rekognition face detection and writes faces.json."
      memory_size       = 1024
      timeout           = 120
      ephemeral_storage = 512
      in_vpc            = false
    }
    "active-speaker" = {
      description = "Scores who is speaking, per face track and frame, with LR-ASD on the CPU; writes speakers.json."
      # Lambda gives CPU in proportion to memory: about 2.3 vCPUs, which the model uses in parallel.
      memory_size = 4096
      timeout     = 900
      # Holds video.mp4 and audio.wav of one job.
      ephemeral_storage = 4096
      in_vpc            = false
    }
    "invoke-lipreading" = {
      description       = "Wakes the lip-reading GPU server, submits the video and checks the job."
      memory_size       = 256
      timeout           = 30
      ephemeral_storage = 512
      in_vpc            = true
    }
    fuse = {
      description       = "Fuses the transcript, faces and lip reading into result.json and captions."
      memory_size       = 1024
      timeout           = 120
      ephemeral_storage = 512
      in_vpc            = false
    }
    "record-failure" = {
      description       = "Marks a job FAILED with the reason the pipeline stopped."
      memory_size       = 256
      timeout           = 30
      ephemeral_storage = 512
      in_vpc            = false
    }
    api = {
      description       = "The results API behind the HTTP API (terraform/api.tf): uploads, jobs, executions, result links."
      memory_size       = 512
      timeout           = 15
      ephemeral_storage = 512
      in_vpc            = false
    }
    # terraform/bot.tf: the Telegram contributor bot and its quality-check feedback.
    "telegram-bot" = {
      description = "Telegram webhook: the contributor conversation; streams recordings to contributions/."
      memory_size = 512
      # Under the HTTP API's 30 s integration limit; a 20 MB download and upload fit well within.
      timeout           = 28
      ephemeral_storage = 512
      in_vpc            = false
    }
    "contribution-feedback" = {
      description       = "When a contribution's execution ends: scores the recording and tells the contributor."
      memory_size       = 256
      timeout           = 30
      ephemeral_storage = 512
      in_vpc            = false
    }
    # terraform/avhubert.tf: deployed with enable_lipreading only (local.lipreading_only_functions).
    "stop-idle-gpu" = {
      description       = "Every 5 minutes: scales the lip-reading GPU group to zero once no job has needed it for the idle time."
      memory_size       = 256
      timeout           = 30
      ephemeral_storage = 512
      in_vpc            = false
    }
  }

  # The functions this stack deploys: all but the GPU's own without lip reading.
  lipreading_only_functions = ["stop-idle-gpu"]
  deployed_functions = {
    for name, fn in local.lambda_functions : name => fn
    if local.lipreading_enabled || !contains(local.lipreading_only_functions, name)
  }

  # COMMON_ENV_KEYS in functions/lib/config.ts. Each function logs under its own name
  # (AWS_LAMBDA_FUNCTION_NAME, see functions/lib/logger.ts).
  common_function_environment = {
    NODE_OPTIONS         = "--enable-source-maps"
    POWERTOOLS_LOG_LEVEL = var.log_level
  }

  # Exactly the keys of each functions/<name>/config.ts configSchema (optional ones may be left out).
  function_environment = {
    "start-pipeline" = {
      JOBS_TABLE         = aws_dynamodb_table.jobs.name
      STATE_MACHINE_ARN  = local.state_machine_arn
      MAX_UPLOAD_BYTES   = tostring(var.max_upload_bytes)
      ALLOWED_EXTENSIONS = join(",", var.allowed_extensions)
      # A job row lives as long as its files (storage.tf, expire-job-files).
      JOB_RETENTION_DAYS = tostring(var.processed_retention_days)
    }
    extract = {
      JOBS_TABLE       = aws_dynamodb_table.jobs.name
      PROCESSED_BUCKET = aws_s3_bucket.this["processed"].id
      # One ffmpeg run must end in time for the function to record why it failed.
      FFMPEG_TIMEOUT_SECONDS = tostring(local.lambda_functions.extract.timeout - 60)
      MAX_MEDIA_SECONDS      = tostring(var.max_media_seconds)
    }
    transcribe = {
      JOBS_TABLE            = aws_dynamodb_table.jobs.name
      PROCESSED_BUCKET      = aws_s3_bucket.this["processed"].id
      TRANSCRIBE_LANGUAGE   = var.transcribe_language
      MAX_SPEAKERS          = tostring(var.max_speakers)
      POLL_INTERVAL_SECONDS = tostring(var.poll_interval_seconds)
      # quotas.tf: Transcribe queues jobs over the account's quota with this role.
      TRANSCRIBE_DATA_ACCESS_ROLE_ARN = aws_iam_role.transcribe_data_access.arn
    }
    "face-detect" = {
      JOBS_TABLE            = aws_dynamodb_table.jobs.name
      PROCESSED_BUCKET      = aws_s3_bucket.this["processed"].id
      POLL_INTERVAL_SECONDS = tostring(var.poll_interval_seconds)
      # quotas.tf: jobs take one of these Rekognition slots before they start detection.
      LEASES_TABLE                    = aws_dynamodb_table.quota_leases.name
      REKOGNITION_MAX_CONCURRENT_JOBS = tostring(var.rekognition_max_concurrent_jobs)
    }
    "active-speaker" = {
      PROCESSED_BUCKET = aws_s3_bucket.this["processed"].id
    }
    "invoke-lipreading" = {
      JOBS_TABLE                  = aws_dynamodb_table.jobs.name
      PROCESSED_BUCKET            = aws_s3_bucket.this["processed"].id
      LIPREADING_ENABLED          = tostring(var.enable_lipreading)
      AVHUBERT_ASG_NAME           = local.avhubert_group_name
      AVHUBERT_MODEL_MANIFEST     = local.avhubert_model_manifest
      AVHUBERT_SECRET_PARAMETER   = aws_ssm_parameter.avhubert_secret.name
      AVHUBERT_PORT               = tostring(var.avhubert_port)
      AVHUBERT_WARMUP_MAX_SECONDS = tostring(var.avhubert_warmup_max_seconds)
      POLL_INTERVAL_SECONDS       = tostring(var.poll_interval_seconds)
    }
    fuse = {
      JOBS_TABLE       = aws_dynamodb_table.jobs.name
      PROCESSED_BUCKET = aws_s3_bucket.this["processed"].id
    }
    "record-failure" = {
      JOBS_TABLE = aws_dynamodb_table.jobs.name
    }
    api = {
      JOBS_TABLE         = aws_dynamodb_table.jobs.name
      UPLOADS_BUCKET     = aws_s3_bucket.this["uploads"].id
      PROCESSED_BUCKET   = aws_s3_bucket.this["processed"].id
      MAX_UPLOAD_BYTES   = tostring(var.max_upload_bytes)
      ALLOWED_EXTENSIONS = join(",", var.allowed_extensions)
      JOB_RETENTION_DAYS = tostring(var.processed_retention_days)
    }
    "telegram-bot" = {
      CONTRIBUTORS_TABLE             = aws_dynamodb_table.bot_contributors.name
      RECORDINGS_TABLE               = aws_dynamodb_table.bot_recordings.name
      SENTENCES_TABLE                = aws_dynamodb_table.bot_sentences.name
      UPDATES_TABLE                  = aws_dynamodb_table.bot_updates.name
      UPLOADS_BUCKET                 = aws_s3_bucket.this["uploads"].id
      TELEGRAM_TOKEN_PARAMETER       = "/${var.name_prefix}/telegram/bot-token"
      TELEGRAM_SECRET_PARAMETER      = "/${var.name_prefix}/telegram/webhook-secret"
      CONTRIBUTOR_SALT_PARAMETER     = "/${var.name_prefix}/telegram/contributor-salt"
      ADMIN_USER_IDS                 = join(",", var.telegram_admin_user_ids)
      VIP_USER_IDS                   = join(",", var.telegram_vip_user_ids)
      TEST_USER_IDS                  = join(",", var.telegram_test_user_ids)
      MIN_VIDEO_SECONDS              = tostring(var.telegram_min_video_seconds)
      MAX_VIDEO_SECONDS              = tostring(var.telegram_max_video_seconds)
      MAX_RECORDINGS_PER_CONTRIBUTOR = tostring(var.telegram_max_recordings_per_contributor)
      PROCESSED_BUCKET               = aws_s3_bucket.this["processed"].id
      JOBS_TABLE                     = aws_dynamodb_table.jobs.name
      REPORTS_TO_RETIRE              = tostring(var.telegram_reports_to_retire)
      EXPORT_MINIMUM_VERDICT         = var.telegram_export_minimum_verdict
      DATASET_LICENCE                = var.telegram_dataset_licence
      RETENTION_YEARS                = tostring(var.telegram_retention_years)
      DATA_CONTACT                   = var.telegram_data_contact
    }
    "contribution-feedback" = {
      JOBS_TABLE               = aws_dynamodb_table.jobs.name
      RECORDINGS_TABLE         = aws_dynamodb_table.bot_recordings.name
      SENTENCES_TABLE          = aws_dynamodb_table.bot_sentences.name
      PROCESSED_BUCKET         = aws_s3_bucket.this["processed"].id
      TELEGRAM_TOKEN_PARAMETER = "/${var.name_prefix}/telegram/bot-token"
      MIN_VIDEO_SECONDS        = tostring(var.telegram_min_video_seconds)
      MAX_VIDEO_SECONDS        = tostring(var.telegram_max_video_seconds)
    }
    "stop-idle-gpu" = {
      AVHUBERT_ASG_NAME = local.avhubert_group_name
      IDLE_MINUTES      = tostring(var.avhubert_idle_shutdown_minutes)
    }
  }

  # Each function's own policy document (below); test/infra checks them against the SDK
  # commands each bundle contains.
  function_policy_documents = {
    "start-pipeline"        = data.aws_iam_policy_document.start_pipeline.json
    extract                 = data.aws_iam_policy_document.extract.json
    transcribe              = data.aws_iam_policy_document.transcribe.json
    "face-detect"           = data.aws_iam_policy_document.face_detect.json
    "active-speaker"        = data.aws_iam_policy_document.active_speaker.json
    "invoke-lipreading"     = data.aws_iam_policy_document.invoke_lipreading.json
    fuse                    = data.aws_iam_policy_document.fuse.json
    "record-failure"        = data.aws_iam_policy_document.record_failure.json
    api                     = data.aws_iam_policy_document.api.json
    "telegram-bot"          = data.aws_iam_policy_document.telegram_bot.json
    "contribution-feedback" = data.aws_iam_policy_document.contribution_feedback.json
    "stop-idle-gpu"         = data.aws_iam_policy_document.stop_idle_gpu.json
  }

  upload_object_arns   = [for prefix in local.upload_prefixes : "${aws_s3_bucket.this["uploads"].arn}/${prefix}*"]
  job_files_arn        = "${aws_s3_bucket.this["processed"].arn}/jobs/*"
  job_file_arn         = { for file in ["audio.wav", "video.mp4", "speech.json", "transcribe.json", "faces.json", "speakers.json", "lipreading.json"] : file => "${aws_s3_bucket.this["processed"].arn}/jobs/*/${file}" }
  function_log_streams = { for name, group in aws_cloudwatch_log_group.function : name => "${group.arn}:*" }

  state_machine_name = "${var.name_prefix}-pipeline"
  # Built, not read from the resource: start-pipeline needs it and the state machine needs the functions.
  state_machine_arn = "arn:${local.partition}:states:${var.region}:${local.account_id}:stateMachine:${local.state_machine_name}"
  # The functions the definition invokes; its role may invoke exactly these.
  state_machine_functions = ["extract", "transcribe", "face-detect", "active-speaker", "invoke-lipreading", "fuse", "record-failure"]
  # A task outlives its function a little, so the function's own timeout error is what Step Functions sees.
  task_timeout_margin_seconds = 15
}

# --- Functions ---------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "function" {
  for_each = local.deployed_functions

  name              = "/aws/lambda/${var.name_prefix}-${each.key}"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "lambda_assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each = local.deployed_functions

  name               = "${var.name_prefix}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

resource "aws_iam_role_policy" "function" {
  for_each = local.deployed_functions

  name   = "${var.name_prefix}-${each.key}"
  role   = aws_iam_role.function[each.key].id
  policy = local.function_policy_documents[each.key]
}

resource "aws_lambda_function" "this" {
  for_each = local.deployed_functions

  function_name     = "${var.name_prefix}-${each.key}"
  description       = each.value.description
  role              = aws_iam_role.function[each.key].arn
  runtime           = "nodejs22.x"
  handler           = "index.handler"
  architectures     = ["x86_64"]
  memory_size       = each.value.memory_size
  timeout           = each.value.timeout
  s3_bucket         = aws_s3_object.function_zip[each.key].bucket
  s3_key            = aws_s3_object.function_zip[each.key].key
  s3_object_version = aws_s3_object.function_zip[each.key].version_id
  source_code_hash  = local.function_zip_hashes[each.key]

  ephemeral_storage {
    size = each.value.ephemeral_storage
  }

  environment {
    variables = merge(local.common_function_environment, local.function_environment[each.key])
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function[each.key].name
  }

  tracing_config {
    mode = "Active"
  }

  # Only invoke-lipreading, and only with lip reading: it calls the GPU server's private address.
  dynamic "vpc_config" {
    for_each = each.value.in_vpc && local.lipreading_enabled ? [true] : []

    content {
      subnet_ids         = local.lambda_subnet_ids
      security_group_ids = [aws_security_group.lipreading_function[0].id]
    }
  }

  depends_on = [aws_iam_role_policy.function, aws_iam_role_policy.function_tracing]
}

# Active tracing: Lambda sends each invocation's segments to X-Ray with the function's role.
data "aws_iam_policy_document" "function_tracing" {
  # why: X-Ray's write calls take no resource ARNs.
  statement {
    sid       = "WriteTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "function_tracing" {
  for_each = local.deployed_functions

  name   = "${var.name_prefix}-${each.key}-tracing"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.function_tracing.json
}

# --- Function policies: only what each function's code calls ------------------------------

data "aws_iam_policy_document" "start_pipeline" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.function_log_streams["start-pipeline"]]
  }

  # The version the event names (GetObjectVersion), or the object of an unversioned event.
  statement {
    sid       = "HeadUploads"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = local.upload_object_arns
  }

  # why: only with ListBucket does S3 answer a HEAD of a deleted upload 404 instead of 403.
  statement {
    sid       = "SeeDeletedUploads"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this["uploads"].arn]
  }

  statement {
    sid       = "CreateJobRows"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.jobs.arn]
  }

  statement {
    sid       = "StartPipeline"
    actions   = ["states:StartExecution"]
    resources = [local.state_machine_arn]
  }

  # why: the SQS event source mapping polls the queue with the function's role.
  statement {
    sid       = "ConsumeUploadEvents"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.upload_events.arn]
  }
}

data "aws_iam_policy_document" "extract" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.function_log_streams["extract"]]
  }

  statement {
    sid       = "ReadUploads"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = local.upload_object_arns
  }

  # why: only with ListBucket does S3 answer a read of a deleted upload 404 instead of 403.
  statement {
    sid       = "SeeDeletedUploads"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this["uploads"].arn]
  }

  statement {
    sid       = "WriteJobFiles"
    actions   = ["s3:PutObject"]
    resources = [local.job_files_arn]
  }

  statement {
    sid       = "UpdateJobRows"
    actions   = ["dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.jobs.arn]
  }
}

data "aws_iam_policy_document" "transcribe" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.function_log_streams["transcribe"]]
  }

  # why: StartTranscriptionJob has no resource type (the simulation holds us to it), so "*".
  statement {
    sid       = "StartTranscriptionJobs"
    actions   = ["transcribe:StartTranscriptionJob"]
    resources = ["*"]
  }

  statement {
    sid       = "CheckTranscriptionJobs"
    actions   = ["transcribe:GetTranscriptionJob"]
    resources = ["arn:${local.partition}:transcribe:${var.region}:${local.account_id}:transcription-job/*"]
  }

  # why: a job Transcribe starts at once reads audio.wav and writes transcribe.json with the
  # caller's rights; a queued one uses the data access role (quotas.tf).
  statement {
    sid       = "TranscribeReadsAudio"
    actions   = ["s3:GetObject"]
    resources = [local.job_file_arn["audio.wav"]]
  }

  statement {
    sid       = "TranscribeWritesTranscripts"
    actions   = ["s3:PutObject"]
    resources = [local.job_file_arn["transcribe.json"]]
  }

  statement {
    sid       = "PassDataAccessRole"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.transcribe_data_access.arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["transcribe.amazonaws.com"]
    }
  }

  statement {
    sid       = "UpdateJobRows"
    actions   = ["dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.jobs.arn]
  }
}

data "aws_iam_policy_document" "face_detect" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.function_log_streams["face-detect"]]
  }

  # why: Rekognition's video operations have no resource types, so they take "*".
  statement {
    sid       = "RunFaceDetection"
    actions   = ["rekognition:StartFaceDetection", "rekognition:GetFaceDetection"]
    resources = ["*"]
  }

  # why: Rekognition reads video.mp4 with the caller's rights.
  statement {
    sid       = "RekognitionReadsVideo"
    actions   = ["s3:GetObject"]
    resources = [local.job_file_arn["video.mp4"]]
  }

  statement {
    sid       = "WriteFaces"
    actions   = ["s3:PutObject"]
    resources = [local.job_file_arn["faces.json"]]
  }

  statement {
    sid       = "UpdateJobRows"
    actions   = ["dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.jobs.arn]
  }

  statement {
    sid       = "TakeRekognitionSlots"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.quota_leases.arn]
  }
}

data "aws_iam_policy_document" "active_speaker" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.function_log_streams["active-speaker"]]
  }

  statement {
    sid       = "ReadFacesSpeechAndMedia"
    actions   = ["s3:GetObject"]
    resources = [for file in ["faces.json", "speech.json", "video.mp4", "audio.wav"] : local.job_file_arn[file]]
  }

  statement {
    sid       = "WriteSpeakers"
    actions   = ["s3:PutObject"]
    resources = [local.job_file_arn["speakers.json"]]
  }
}

data "aws_iam_policy_document" "invoke_lipreading" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.function_log_streams["invoke-lipreading"]]
  }

  # SecureStrings under the AWS-managed aws/ssm key decrypt without a kms grant.
  statement {
    sid       = "ReadLipReadingSecret"
    actions   = ["ssm:GetParameters"]
    resources = [aws_ssm_parameter.avhubert_secret.arn]
  }

  # why: Auto Scaling's Describe calls and DescribeInstances take no resource ARNs.
  statement {
    sid       = "FindLipReadingServer"
    actions   = ["autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeScalingActivities", "ec2:DescribeInstances"]
    resources = ["*"]
  }

  # The speech segments bound what the server decodes.
  statement {
    sid       = "ReadSpeechSegments"
    actions   = ["s3:GetObject"]
    resources = [local.job_file_arn["speech.json"]]
  }

  # By name, not by resource: no function depends on the GPU group existing, so nothing of the
  # pipeline waits for it (or fails with it) at apply time.
  statement {
    sid       = "WakeLipReadingServer"
    actions   = ["autoscaling:SetDesiredCapacity", "autoscaling:CreateOrUpdateTags"]
    resources = [local.avhubert_group_arn]
  }

  statement {
    sid       = "CheckModelPackage"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.this["artifacts"].arn}/${var.avhubert_model_prefix}manifest.json"]
  }

  # why: only with ListBucket does S3 answer a HEAD of a manifest not yet uploaded 404 (lip
  # reading skipped: "no model is uploaded") instead of 403 (the branch fails on AccessDenied).
  statement {
    sid       = "SeeMissingModelPackage"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this["artifacts"].arn]
  }

  # why: a function in a VPC manages its own network interfaces; these calls take no resource ARNs.
  statement {
    sid = "ManageVpcNetworkInterfaces"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "UpdateJobRows"
    actions   = ["dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.jobs.arn]
  }
}

data "aws_iam_policy_document" "fuse" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.function_log_streams["fuse"]]
  }

  statement {
    sid       = "ReadAndWriteJobFiles"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = [local.job_files_arn]
  }

  # why: only with ListBucket does S3 answer a read of a missing branch output 404 instead of 403.
  statement {
    sid       = "SeeMissingJobFiles"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this["processed"].arn]
  }

  statement {
    sid       = "FinishJobRows"
    actions   = ["dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.jobs.arn]
  }
}

data "aws_iam_policy_document" "record_failure" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.function_log_streams["record-failure"]]
  }

  statement {
    sid       = "FailJobRows"
    actions   = ["dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.jobs.arn]
  }
}

# --- State machine -------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "state_machine" {
  # The vendedlogs prefix keeps Step Functions within the log resource policy size limit.
  name              = "/aws/vendedlogs/states/${local.state_machine_name}"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "states_assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "state_machine" {
  statement {
    sid       = "InvokePipelineFunctions"
    actions   = ["lambda:InvokeFunction"]
    resources = [for name in local.state_machine_functions : aws_lambda_function.this[name].arn]
  }

  # why: CloudWatch Logs delivery calls take no resource ARNs.
  statement {
    sid = "DeliverExecutionLogs"
    actions = [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }

  # why: X-Ray's write calls take no resource ARNs.
  statement {
    sid       = "WriteTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "state_machine" {
  name               = local.state_machine_name
  assume_role_policy = data.aws_iam_policy_document.states_assume_role.json
}

resource "aws_iam_role_policy" "state_machine" {
  name   = local.state_machine_name
  role   = aws_iam_role.state_machine.id
  policy = data.aws_iam_policy_document.state_machine.json
}

resource "aws_sfn_state_machine" "pipeline" {
  name     = local.state_machine_name
  role_arn = aws_iam_role.state_machine.arn
  type     = "STANDARD"

  # scripts/render-statemachine.ts renders the same template for the local stack.
  definition = templatefile("${path.module}/statemachine.asl.json", merge(
    { for name in local.state_machine_functions : "${replace(name, "-", "_")}_function_arn" => aws_lambda_function.this[name].arn },
    { for name in local.state_machine_functions : "${replace(name, "-", "_")}_task_timeout_seconds" => local.lambda_functions[name].timeout + local.task_timeout_margin_seconds },
    {
      max_poll_attempts         = var.max_poll_attempts
      execution_timeout_seconds = var.execution_timeout_seconds
    },
  ))

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    include_execution_data = true
    level                  = "ERROR"
  }

  tracing_configuration {
    enabled = true
  }

  depends_on = [aws_iam_role_policy.state_machine]
}

# --- Alarms ----------------------------------------------------------------------------------

# Unencrypted on purpose: CloudWatch cannot publish to a topic under the AWS-managed SNS key.
resource "aws_sns_topic" "alarms" {
  count = var.alarm_email == null ? 0 : 1

  name = "${var.name_prefix}-alarms"
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

resource "aws_cloudwatch_metric_alarm" "upload_events_dead_letters" {
  alarm_name          = "${var.name_prefix}-upload-events-dead-letters"
  alarm_description   = "Upload events could not start a job after 5 tries: read them in the dead-letter queue, fix the cause, then redrive."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.upload_events_dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = aws_sns_topic.alarms[*].arn
}
