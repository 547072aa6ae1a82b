variable "name_prefix" {
  description = "Prefix of every resource name (functions, table, queue, buckets)."
  type        = string
  default     = "gorggle"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 lowercase letters, digits or hyphens, starting with a letter (it goes into S3 bucket names)."
  }
}

variable "region" {
  description = "AWS region to deploy into. It must offer Amazon Transcribe, Amazon Rekognition Video and the GPU instance type."
  type        = string
  default     = "us-east-1"
}

variable "tags" {
  description = "Tags added to every resource, on top of Project = gorggle."
  type        = map(string)
  default     = {}
}

variable "deletion_protection" {
  description = "Protect the jobs table from deletion and keep non-empty buckets on destroy. Turn off for throwaway stacks."
  type        = bool
  default     = true
}

variable "functions_dist_dir" {
  description = "Folder holding the Lambda zips that `make build` writes (dist/functions). Null means ../dist/functions beside this module."
  type        = string
  default     = null
}

variable "max_upload_bytes" {
  description = "Largest upload the pipeline accepts, in bytes. Extract downloads it into Lambda's /tmp, so keep it under the extract function's ephemeral storage."
  type        = number
  default     = 2147483648

  validation {
    condition     = var.max_upload_bytes > 0 && var.max_upload_bytes == floor(var.max_upload_bytes)
    error_message = "max_upload_bytes must be a positive whole number of bytes."
  }
}

variable "max_media_seconds" {
  description = "Longest media the pipeline processes, in seconds. Extract refuses longer uploads once it has probed them, and cuts every output just past this length in case the container understated it. Each second costs Transcribe, Rekognition and GPU time."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_media_seconds >= 1 && var.max_media_seconds <= 14400 && var.max_media_seconds == floor(var.max_media_seconds)
    error_message = "max_media_seconds must be a whole number of seconds from 1 to 14400 (Amazon Transcribe's 4-hour limit)."
  }
}

variable "allowed_extensions" {
  description = "File extensions (without the dot) that start the pipeline when uploaded under uploads/ or contributions/. Audio files are processed with speech alone."
  type        = list(string)
  default     = ["mp4", "m4v", "mov", "mkv", "webm", "mpg", "mpeg", "avi", "mp3", "m4a", "wav", "ogg", "opus", "flac"]

  validation {
    condition     = length(var.allowed_extensions) > 0 && alltrue([for ext in var.allowed_extensions : can(regex("^[a-z0-9]{1,8}$", ext))])
    error_message = "allowed_extensions must be a non-empty list of lowercase extensions without dots, e.g. [\"mp4\", \"mov\"]."
  }
}

variable "cors_allowed_origins" {
  description = "Origins allowed to upload to the uploads bucket from a browser (e.g. the web page's URL). Empty means no CORS rule."
  type        = list(string)
  default     = []
}

variable "transcribe_language" {
  description = "Amazon Transcribe language code (en-US, de-DE, ...), or 'auto' to identify the language per video."
  type        = string
  default     = "en-US"

  validation {
    condition     = can(regex("^(auto|[a-z]{2,3}-[A-Z]{2})$", var.transcribe_language))
    error_message = "transcribe_language must be a language code such as en-US, or 'auto'."
  }
}

variable "max_speakers" {
  description = "Most speakers Amazon Transcribe labels in one video (2 to 30)."
  type        = number
  default     = 4

  validation {
    condition     = var.max_speakers >= 2 && var.max_speakers <= 30
    error_message = "max_speakers must be between 2 and 30, the range Amazon Transcribe accepts."
  }
}

variable "poll_interval_seconds" {
  description = "Seconds between two status checks of an asynchronous branch (Transcribe, Rekognition, lip reading)."
  type        = number
  default     = 15

  validation {
    condition     = var.poll_interval_seconds >= 1 && var.poll_interval_seconds <= 300
    error_message = "poll_interval_seconds must be between 1 and 300."
  }
}

variable "max_poll_attempts" {
  description = "Status checks a branch may make before it gives up with PollingTimeoutError; with poll_interval_seconds this bounds each branch's time. A job waiting for a Rekognition slot spends checks too."
  type        = number
  default     = 240

  # Each check of the three branches adds about 27 history events, and an execution holds at
  # most 25,000: 600 checks leave a third of that room for retries (test/infra holds this).
  validation {
    condition     = var.max_poll_attempts >= 1 && var.max_poll_attempts <= 600
    error_message = "max_poll_attempts must be between 1 and 600: more checks could overflow Step Functions' 25,000 history events per execution. Raise poll_interval_seconds instead to wait longer."
  }
}

variable "execution_timeout_seconds" {
  description = "Longest a whole pipeline execution may run before Step Functions stops it."
  type        = number
  default     = 10800
}

variable "processed_retention_days" {
  description = "Days the processed bucket keeps a job's files (jobs/<jobId>/...) before they expire."
  type        = number
  default     = 30

  validation {
    condition     = var.processed_retention_days >= 1
    error_message = "processed_retention_days must be at least 1."
  }
}

variable "upload_retention_days" {
  description = "Days the uploads bucket keeps a user's video under uploads/ before it expires (the bot's contributions are kept). Jobs read it within minutes; keep it long enough to redrive failed ones."
  type        = number
  default     = 7

  validation {
    condition     = var.upload_retention_days >= 1
    error_message = "upload_retention_days must be at least 1."
  }
}

variable "rekognition_max_concurrent_jobs" {
  description = "Amazon Rekognition video jobs this deployment runs at once; later jobs wait for a slot. Keep it under the account's quota (20 by default), leaving room for other users of the account."
  type        = number
  default     = 18

  validation {
    condition     = var.rekognition_max_concurrent_jobs >= 1 && var.rekognition_max_concurrent_jobs <= 100
    error_message = "rekognition_max_concurrent_jobs must be between 1 and 100 (raise the Rekognition quota first)."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Days the versioned buckets keep overwritten or deleted object versions."
  type        = number
  default     = 30
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the functions' and the state machine's logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts, e.g. 7, 14, 30, 90 or 365."
  }
}

variable "log_level" {
  description = "Powertools log level of every function."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARN or ERROR."
  }
}

variable "alarm_email" {
  description = "Email address told when an alarm fires (observability.tf): pipeline failures, stopped executions, Lambda errors and throttles, API 5xx, the DEGRADED rate, GPU hours, dead letters. Null means alarms without notifications."
  type        = string
  default     = null
}

variable "lambda_error_alarm_threshold" {
  description = "Errors of one function within 5 minutes that raise its alarm. Users' bad files make single errors, so one is not enough."
  type        = number
  default     = 5
}

variable "degraded_rate_alarm_percent" {
  description = "Share of finished jobs, in percent over an hour, that may end DEGRADED (a modality missing) before the alarm fires."
  type        = number
  default     = 50

  validation {
    condition     = var.degraded_rate_alarm_percent > 0 && var.degraded_rate_alarm_percent <= 100
    error_message = "degraded_rate_alarm_percent must be more than 0 and at most 100."
  }
}

variable "gpu_running_hours_alarm" {
  description = "Hours in a row the lip-reading GPU group may keep an instance in service before the alarm fires (stop-idle-gpu should scale it to zero when idle)."
  type        = number
  default     = 6

  validation {
    condition     = var.gpu_running_hours_alarm >= 1 && var.gpu_running_hours_alarm <= 24
    error_message = "gpu_running_hours_alarm must be between 1 and 24."
  }
}

variable "enable_lipreading" {
  description = "Run lip reading on a GPU instance (an Auto Scaling group of 0 or 1, launched per job batch and stopped when idle). Off: no GPU, no VPC; jobs run and lip reading is skipped with the reason. Needs a 'Running On-Demand G and VT instances' vCPU quota of at least 4 and a model package (make model-upload)."
  type        = bool
  default     = false
}

variable "vpc_id" {
  description = "An existing VPC for the lip-reading server and the function that calls it. Null: the module creates a VPC with private subnets and the endpoints they need (no NAT, no internet). Used only with enable_lipreading."
  type        = string
  default     = null

  validation {
    condition     = var.vpc_id == null || var.lambda_subnet_ids != null
    error_message = "With vpc_id, also give lambda_subnet_ids: private subnets of that VPC."
  }
}

variable "lambda_subnet_ids" {
  description = "Private subnets of vpc_id for the invoke-lipreading function (and the GPU instance unless avhubert_subnet_id is set). They need routes to the EC2, Auto Scaling, SSM, S3 and DynamoDB APIs: a NAT gateway, or set create_vpc_endpoints."
  type        = list(string)
  default     = null

  validation {
    condition     = var.lambda_subnet_ids == null ? true : length(var.lambda_subnet_ids) > 0
    error_message = "lambda_subnet_ids must name at least one subnet (two in different zones is better), or be left unset."
  }
}

variable "avhubert_subnet_id" {
  description = "Private subnet of vpc_id for the GPU instance; it needs routes to S3 and SSM (NAT or endpoints). Null: the subnets in lambda_subnet_ids."
  type        = string
  default     = null
}

variable "create_vpc_endpoints" {
  description = "Create the VPC endpoints lip reading needs (gateway: S3, DynamoDB; interface: EC2, Auto Scaling, SSM, and ssmmessages and ec2messages with avhubert_session_manager). Null: yes in a VPC the module creates, no in vpc_id (which then needs a NAT gateway or endpoints of its own)."
  type        = bool
  default     = null
}

variable "vpc_cidr" {
  description = "Address range of the VPC the module creates when vpc_id is null."
  type        = string
  default     = "10.42.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && tonumber(split("/", var.vpc_cidr)[1]) <= 24
    error_message = "vpc_cidr must be an IPv4 CIDR block of /24 or larger, e.g. 10.42.0.0/16."
  }
}

variable "vpc_zone_count" {
  description = "Availability zones (offering avhubert_instance_type) the created VPC spans; more zones give the GPU group more places to find capacity."
  type        = number
  default     = 2

  validation {
    condition     = var.vpc_zone_count >= 1 && var.vpc_zone_count <= 4
    error_message = "vpc_zone_count must be between 1 and 4."
  }
}

variable "avhubert_session_manager" {
  description = "Let `aws ssm start-session` reach the GPU instance: the managed policy, and the ssmmessages and ec2messages endpoints (about 15 USD a month while idle in one zone; the SSM endpoint is there anyway, for the shared secret)."
  type        = bool
  default     = false
}

variable "avhubert_instance_type" {
  description = "EC2 instance type of the lip-reading server (a CUDA GPU; g4dn.xlarge has an NVIDIA T4 and 4 vCPUs)."
  type        = string
  default     = "g4dn.xlarge"
}

variable "avhubert_ami_id" {
  description = "AMI of the lip-reading server. Null: the latest AWS Deep Learning AMI named by avhubert_ami_ssm_parameter, whose PyTorch provides the CUDA libtorch the addon is built against on first boot."
  type        = string
  default     = null
}

variable "avhubert_ami_ssm_parameter" {
  description = "Public SSM parameter holding the AMI id when avhubert_ami_id is null: an AWS Deep Learning AMI with PyTorch (x86_64)."
  type        = string
  default     = "/aws/service/deeplearning/ami/x86_64/oss-nvidia-driver-gpu-pytorch-2.9-ubuntu-24.04/latest/ami-id"
}

variable "avhubert_root_volume_gb" {
  description = "Size of the lip-reading server's encrypted root volume, in GiB (the Deep Learning AMIs need about 100). It exists only while an instance does."
  type        = number
  default     = 120
}

variable "avhubert_port" {
  description = "TCP port the lip-reading server listens on."
  type        = number
  default     = 8080

  validation {
    condition     = var.avhubert_port >= 1024 && var.avhubert_port <= 65535
    error_message = "avhubert_port must be an unprivileged port (1024-65535)."
  }
}

variable "avhubert_model_prefix" {
  description = "Key prefix in the artifacts bucket that holds the lip-reading model package (manifest.json, encoder.pt, decoder_step.pt, vocab.txt); make model-upload writes there."
  type        = string
  default     = "models/avhubert/"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]+/$", var.avhubert_model_prefix))
    error_message = "avhubert_model_prefix must be a key prefix ending in '/', e.g. models/avhubert/."
  }
}

variable "avhubert_idle_shutdown_minutes" {
  description = "Minutes without a lip-reading job before the stopper (a scheduled function, outside the instance) scales the GPU group to zero."
  type        = number
  default     = 15

  validation {
    condition     = var.avhubert_idle_shutdown_minutes >= 5 && var.avhubert_idle_shutdown_minutes <= 1440
    error_message = "avhubert_idle_shutdown_minutes must be between 5 (the stopper runs every 5 minutes) and 1440."
  }
}

variable "avhubert_warmup_max_seconds" {
  description = "Longest the lip-reading branch waits for the GPU instance to launch, install itself and serve before it gives up."
  type        = number
  default     = 900
}

variable "avhubert_bundle_path" {
  description = "The lip-reading server bundle that `make avhubert-bundle` writes. Null: ../dist/avhubert/gorggle-avhubert.tar.gz beside this module."
  type        = string
  default     = null
}

variable "avhubert_hourly_usd" {
  description = "On-demand price of avhubert_instance_type per hour, for the cost outputs. Null: the us-east-1 list price of the known g4dn/g5/g6 types."
  type        = number
  default     = null
}

variable "api_extra_allowed_origins" {
  description = "Origins besides the CloudFront web page that may call the results API from a browser (e.g. http://localhost:5173 while developing the page)."
  type        = list(string)
  default     = []
}

variable "api_throttling_rate_limit" {
  description = "Steady requests per second the results API accepts before it answers 429."
  type        = number
  default     = 20
}

variable "api_throttling_burst_limit" {
  description = "Requests the results API accepts in a burst above the steady rate."
  type        = number
  default     = 40
}

variable "web_dist_dir" {
  description = "Folder holding the built web page that `make build` writes (dist/web). Null means ../dist/web beside this module."
  type        = string
  default     = null
}

variable "web_price_class" {
  description = "CloudFront price class of the web page (PriceClass_100, PriceClass_200 or PriceClass_All)."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.web_price_class)
    error_message = "web_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "telegram_admin_user_ids" {
  description = "Telegram user ids allowed the bot's admin commands (/stats, /export, /sentences add, /block, /clear_test_data)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.telegram_admin_user_ids : can(regex("^[0-9]+$", id))])
    error_message = "telegram_admin_user_ids must be numeric Telegram user ids, e.g. [\"123456789\"]."
  }
}

variable "telegram_vip_user_ids" {
  description = "Telegram user ids offered the VIP menu (capture conditions, calibration and custom-text recordings)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.telegram_vip_user_ids : can(regex("^[0-9]+$", id))])
    error_message = "telegram_vip_user_ids must be numeric Telegram user ids."
  }
}

variable "telegram_test_user_ids" {
  description = "Telegram user ids whose contributions are marked as test data (excluded from exports, removable with /clear_test_data)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.telegram_test_user_ids : can(regex("^[0-9]+$", id))])
    error_message = "telegram_test_user_ids must be numeric Telegram user ids."
  }
}

variable "telegram_min_video_seconds" {
  description = "Shortest recording the bot accepts, in seconds."
  type        = number
  default     = 1
}

variable "telegram_max_video_seconds" {
  description = "Longest recording the bot accepts, in seconds."
  type        = number
  default     = 30

  validation {
    condition     = var.telegram_max_video_seconds >= 1 && var.telegram_max_video_seconds <= 600
    error_message = "telegram_max_video_seconds must be between 1 and 600."
  }
}

variable "telegram_max_recordings_per_contributor" {
  description = "Most sentence recordings one contributor may make, rejected takes not counted (Common Voice caps per-person contributions too)."
  type        = number
  default     = 300
}

variable "telegram_reports_to_retire" {
  description = "A sentence reported this many times is no longer offered."
  type        = number
  default     = 3

  validation {
    condition     = var.telegram_reports_to_retire >= 1
    error_message = "telegram_reports_to_retire must be at least 1."
  }
}

variable "telegram_export_minimum_verdict" {
  description = "The least quality verdict /export includes: accepted (every check passed), unverified (nothing failed, some checks could not run) or any."
  type        = string
  default     = "accepted"

  validation {
    condition     = contains(["accepted", "unverified", "any"], var.telegram_export_minimum_verdict)
    error_message = "telegram_export_minimum_verdict must be accepted, unverified or any."
  }
}

variable "telegram_dataset_licence" {
  description = "The licence the consent text says recordings are shared under."
  type        = string
  default     = "CC BY 4.0"
}

variable "telegram_retention_years" {
  description = "The consent text promises recordings are deleted after at most this many years."
  type        = number
  default     = 5
}

variable "telegram_data_contact" {
  description = "Who volunteers can write to about their data (an e-mail address or a Telegram handle), named in the consent text. Set it: without it the consent text has no contact line."
  type        = string
  default     = ""
}
