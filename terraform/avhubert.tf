# The lip-reading server (ec2-avhubert/) on a GPU instance, only with enable_lipreading.
#
# An Auto Scaling group of zero or one: it holds no instance while idle, so the GPU costs
# nothing then, and creating it needs neither vCPU quota nor capacity, so neither can fail an
# apply. invoke-lipreading scales it to one when a job needs lip reading (and marks it busy
# on every call); the instance installs the server from the bundle below on first boot; the
# stop-idle-gpu function scales it back to zero once no job has needed it for a while. A
# failed launch (quota, capacity) makes lip reading skipped, with AWS's reason, not the job.
# EC2 health checks replace an impaired instance (there is no recovery alarm: EC2 refuses
# recovery for g4dn, whose NVMe instance store it cannot move).

locals {
  lipreading_enabled = var.enable_lipreading
  # Every name that must be unique in the account and region derives from the prefix.
  avhubert_group_name = "${var.name_prefix}-avhubert"
  avhubert_group_arn  = "arn:${local.partition}:autoscaling:${var.region}:${local.account_id}:autoScalingGroup:*:autoScalingGroupName/${local.avhubert_group_name}"
  avhubert_tags       = { Name = local.avhubert_group_name, "gorggle:stack" = var.name_prefix, "gorggle:role" = "avhubert" }

  avhubert_model_s3       = "s3://${aws_s3_bucket.this["artifacts"].id}/${var.avhubert_model_prefix}"
  avhubert_model_manifest = "${local.avhubert_model_s3}manifest.json"

  avhubert_bundle_path   = coalesce(var.avhubert_bundle_path, "${path.module}/../dist/avhubert/gorggle-avhubert.tar.gz")
  avhubert_bundle_exists = local.lipreading_enabled && fileexists(local.avhubert_bundle_path)
  avhubert_bundle_sha256 = local.avhubert_bundle_exists ? filesha256(local.avhubert_bundle_path) : ""
  # The content hash in the key: a new bundle is a new key, so a new launch template version.
  avhubert_bundle_key = "avhubert/gorggle-avhubert-${substr(local.avhubert_bundle_sha256, 0, 16)}.tar.gz"

  avhubert_ami_id = local.lipreading_enabled ? coalesce(var.avhubert_ami_id, one(data.aws_ssm_parameter.avhubert_ami[*].insecure_value)) : null
}

# The secret invoke-lipreading sends on every request and the server requires. Made here
# from two random UUIDs, sent write-only: it is in no state, plan or output. Raise
# value_wo_version to rotate it (then restart the server, which reads it at start).
resource "aws_ssm_parameter" "avhubert_secret" {
  name             = "/${var.name_prefix}/avhubert/shared-secret"
  description      = "Shared secret between invoke-lipreading and the lip-reading server."
  type             = "SecureString"
  value_wo         = replace("${uuid()}${uuid()}", "-", "")
  value_wo_version = 1
}

data "aws_ssm_parameter" "avhubert_ami" {
  count = local.lipreading_enabled && var.avhubert_ami_id == null ? 1 : 0

  name = var.avhubert_ami_ssm_parameter
}

data "aws_ami" "avhubert" {
  count = local.lipreading_enabled ? 1 : 0

  filter {
    name   = "image-id"
    values = [local.avhubert_ami_id]
  }
}

# --- The bundle the instance installs on first boot --------------------------------------------

resource "aws_s3_object" "avhubert_bundle" {
  count = local.lipreading_enabled ? 1 : 0

  bucket       = aws_s3_bucket.this["artifacts"].id
  key          = local.avhubert_bundle_key
  source       = local.avhubert_bundle_path
  source_hash  = local.avhubert_bundle_sha256
  content_type = "application/gzip"

  lifecycle {
    precondition {
      condition     = local.avhubert_bundle_exists
      error_message = "${local.avhubert_bundle_path} is missing: run `make avhubert-bundle` (make deploy does), or set enable_lipreading = false."
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

# --- Instance role: the bundle, the model package, job files and the shared secret; no SSH ----

data "aws_iam_policy_document" "ec2_assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "avhubert" {
  statement {
    sid       = "ReadSharedSecret"
    actions   = ["ssm:GetParameter"]
    resources = [aws_ssm_parameter.avhubert_secret.arn]
  }

  # Only the video it lip-reads and the result it writes: nothing else under jobs/.
  statement {
    sid       = "ReadVideos"
    actions   = ["s3:GetObject"]
    resources = [local.job_file_arn["video.mp4"]]
  }

  statement {
    sid       = "WriteLipReading"
    actions   = ["s3:PutObject"]
    resources = [local.job_file_arn["lipreading.json"]]
  }

  statement {
    sid       = "ReadBundleAndModelPackage"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.this["artifacts"].arn}/avhubert/*", "${aws_s3_bucket.this["artifacts"].arn}/${var.avhubert_model_prefix}*"]
  }

  # why: `aws s3 sync` of the model package lists its prefix.
  statement {
    sid       = "ListModelPackage"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this["artifacts"].arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.avhubert_model_prefix}*"]
    }
  }
}

resource "aws_iam_role" "avhubert" {
  count = local.lipreading_enabled ? 1 : 0

  name               = local.avhubert_group_name
  assume_role_policy = data.aws_iam_policy_document.ec2_assume_role.json
}

resource "aws_iam_role_policy" "avhubert" {
  count = local.lipreading_enabled ? 1 : 0

  name   = local.avhubert_group_name
  role   = aws_iam_role.avhubert[0].id
  policy = data.aws_iam_policy_document.avhubert.json
}

resource "aws_iam_role_policy_attachment" "avhubert_ssm" {
  count = local.lipreading_enabled && var.avhubert_session_manager ? 1 : 0

  role       = aws_iam_role.avhubert[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "avhubert" {
  count = local.lipreading_enabled ? 1 : 0

  name = local.avhubert_group_name
  role = aws_iam_role.avhubert[0].name
}

# --- Launch template and group ----------------------------------------------------------------

resource "aws_launch_template" "avhubert" {
  count = local.lipreading_enabled ? 1 : 0

  name                                 = local.avhubert_group_name
  description                          = "Lip-reading server (ec2-avhubert) on a CUDA GPU; installs itself from S3 on first boot."
  image_id                             = local.avhubert_ami_id
  instance_type                        = var.avhubert_instance_type
  instance_initiated_shutdown_behavior = "terminate"
  vpc_security_group_ids               = [aws_security_group.avhubert[0].id]
  update_default_version               = true
  user_data = base64encode(templatefile("${path.module}/templates/avhubert-user-data.sh.tftpl", {
    region           = var.region
    bundle_bucket    = aws_s3_object.avhubert_bundle[0].bucket
    bundle_key       = aws_s3_object.avhubert_bundle[0].key
    bundle_sha256    = local.avhubert_bundle_sha256
    model_s3_uri     = local.avhubert_model_s3
    port             = var.avhubert_port
    processed_bucket = aws_s3_bucket.this["processed"].id
    secret_parameter = aws_ssm_parameter.avhubert_secret.name
  }))

  iam_instance_profile {
    name = aws_iam_instance_profile.avhubert[0].name
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = data.aws_ami.avhubert[0].root_device_name

    ebs {
      volume_size           = var.avhubert_root_volume_gb
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = local.avhubert_tags
  }

  tag_specifications {
    resource_type = "volume"
    tags          = local.avhubert_tags
  }
}

resource "aws_autoscaling_group" "avhubert" {
  count = local.lipreading_enabled ? 1 : 0

  name                = local.avhubert_group_name
  min_size            = 0
  max_size            = 1
  desired_capacity    = 0
  vpc_zone_identifier = local.avhubert_subnet_ids
  health_check_type   = "EC2"
  # First boot installs the server (several minutes); EC2 status checks count from the start.
  health_check_grace_period = 300
  # A launch that fails for quota or capacity must never fail or stall an apply.
  wait_for_capacity_timeout        = "0"
  ignore_failed_scaling_activities = true
  # destroy terminates the instance with the group: nothing is left behind.
  force_delete = true
  # Moving the one instance between zones would cut a job short.
  suspended_processes = ["AZRebalance"]
  # Minute by minute, for the GPU-running-hours alarm and the dashboard (observability.tf).
  enabled_metrics     = ["GroupDesiredCapacity", "GroupInServiceInstances"]
  metrics_granularity = "1Minute"

  launch_template {
    id      = aws_launch_template.avhubert[0].id
    version = "$Latest"
  }

  lifecycle {
    # invoke-lipreading and stop-idle-gpu set the capacity, and the busy tag, at run time.
    ignore_changes = [desired_capacity, tag]
  }
}

# --- An account whose default EBS key is a customer key (M8) ---------------------------------
# Encrypted volumes then use that key, and the Auto Scaling service-linked role needs a grant
# on it to launch; without one every launch fails with Client.InternalError.

data "aws_ebs_default_kms_key" "current" {
  count = local.lipreading_enabled ? 1 : 0
}

locals {
  # alias/aws/ebs (AWS-managed) needs no grant; a customer key comes as its key ARN or an alias.
  ebs_default_key      = one(data.aws_ebs_default_kms_key.current[*].key_arn)
  ebs_key_is_key_arn   = can(regex("^arn:[^:]+:kms:[^:]+:[0-9]+:key/", local.ebs_default_key))
  ebs_key_is_own_alias = can(regex("^arn:[^:]+:kms:[^:]+:[0-9]+:alias/", local.ebs_default_key)) && !endswith(coalesce(local.ebs_default_key, "-"), ":alias/aws/ebs")
}

data "aws_kms_key" "ebs_default" {
  count = local.ebs_key_is_own_alias ? 1 : 0

  key_id = local.ebs_default_key
}

resource "aws_kms_grant" "autoscaling_ebs" {
  count = local.ebs_key_is_key_arn || local.ebs_key_is_own_alias ? 1 : 0

  name              = "${local.avhubert_group_name}-ebs"
  key_id            = local.ebs_key_is_key_arn ? local.ebs_default_key : data.aws_kms_key.ebs_default[0].arn
  grantee_principal = "arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
  operations        = ["Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "DescribeKey", "CreateGrant"]

  # The service-linked role exists once the account has its first Auto Scaling group.
  depends_on = [aws_autoscaling_group.avhubert]
}

# --- The idle stopper: a scheduled function outside the instance --------------------------------

resource "aws_cloudwatch_event_rule" "stop_idle_gpu" {
  count = local.lipreading_enabled ? 1 : 0

  name                = "${var.name_prefix}-stop-idle-gpu"
  description         = "Scales the lip-reading GPU group to zero when no job has needed it for avhubert_idle_shutdown_minutes."
  schedule_expression = "rate(5 minutes)"
}

resource "aws_cloudwatch_event_target" "stop_idle_gpu" {
  count = local.lipreading_enabled ? 1 : 0

  rule = aws_cloudwatch_event_rule.stop_idle_gpu[0].name
  arn  = aws_lambda_function.this["stop-idle-gpu"].arn
}

resource "aws_lambda_permission" "stop_idle_gpu" {
  count = local.lipreading_enabled ? 1 : 0

  statement_id  = "AllowScheduledIdleStop"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["stop-idle-gpu"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.stop_idle_gpu[0].arn
}

data "aws_iam_policy_document" "stop_idle_gpu" {
  statement {
    sid     = "WriteOwnLogs"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    # The function exists only with lip reading; its name is known either way.
    resources = [try(local.function_log_streams["stop-idle-gpu"], "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/aws/lambda/${var.name_prefix}-stop-idle-gpu:*")]
  }

  # why: Auto Scaling's Describe calls take no resource ARNs.
  statement {
    sid       = "ReadLipReadingGroup"
    actions   = ["autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeScalingActivities"]
    resources = ["*"]
  }

  statement {
    sid       = "StopLipReadingGroup"
    actions   = ["autoscaling:SetDesiredCapacity"]
    resources = [local.avhubert_group_arn]
  }
}
